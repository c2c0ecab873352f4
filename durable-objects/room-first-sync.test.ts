// The Room's answer to a sync step 1 for a large document (fake connections, real Yjs): parts as
// updates and the step 2 last, announced to ext clients only, shared between fresh joiners, and
// charged to the reply budget as a whole before anything is sent.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { encodeSyncStep1 } from "../protocol/messages";
import { decodeServerMessage, type ServerMessage } from "../protocol/server-messages";
import { judgeBytes, type CheckedUpdate } from "./admission";
import { DEFAULT_LIMITS, type RoomLimits } from "./config";
import type { Connection } from "./connection";
import { PACE_INTERVAL_MS } from "./pacing";
import { Room } from "./room";

const MiB = 1024 * 1024;

function setup(limits: Partial<RoomLimits> = {}) {
  const conns: Connection[] = [];
  const all: RoomLimits = { ...DEFAULT_LIMITS, maxDocBytes: 8 * MiB, ...limits };
  const room = new Room({
    append: () => 1,
    storedBytes: () => 0,
    limits: all,
    connections: () => conns,
    onChange: () => {},
    now: () => 1_000_000,
  });
  const connect = (ext: boolean, queued?: () => number) => {
    const sent: Uint8Array[] = [];
    const closed: number[] = [];
    const conn: Connection = {
      state: { id: String(conns.length), role: "read", exp: null, aw: {}, ...(ext && { ext }) },
      send: (data) => sent.push(data),
      close: (code) => closed.push(code),
      saveState: () => {},
      ...(queued && { queued }),
    };
    conns.push(conn);
    // Greeted first (our step 1, awareness), so its step 1 is answered with the step 2 alone.
    room.onConnect(conn);
    sent.length = 0;
    return { conn, sent, closed };
  };
  const write = (doc: Y.Doc) => {
    const update = judgeBytes(Y.encodeStateAsUpdate(doc), all) as CheckedUpdate;
    expect(room.writeFrom("http", update, "write")).toEqual({ changed: true });
  };
  const step1 = (conn: Connection, stateVector = new Uint8Array([0])) => {
    const frame = encodeSyncStep1(stateVector);
    room.handleMessages([{ conn, data: frame.slice().buffer as ArrayBuffer }]);
  };
  return { room, connect, write, step1 };
}

/** A document of `chars` random characters in one text, written in pastes. */
function bigDoc(chars: number): Y.Doc {
  const doc = new Y.Doc();
  const text = randomBytes((chars / 4) * 3).toString("base64");
  for (let at = 0; at < text.length; at += 100_000)
    doc.getText("t").insert(at, text.slice(at, at + 100_000));
  return doc;
}

const kinds = (frames: Uint8Array[]) => frames.map((f) => decodeServerMessage(f).kind);

describe("Room: the answer to a step 1 for a large document", () => {
  it("is parts as updates then the step 2, announced to ext clients only, shared by joiners", () => {
    const { connect, write, step1 } = setup();
    const source = bigDoc(2 * MiB);
    write(source);
    const ext = connect(true);
    const stock = connect(false);
    step1(ext.conn);
    step1(stock.conn);
    const extKinds = kinds(ext.sent);
    expect(extKinds[0]).toBe("progress");
    expect(extKinds[extKinds.length - 1]).toBe("sync-step2");
    const parts = extKinds.filter((k) => k === "sync-update").length;
    expect(parts).toBeGreaterThanOrEqual(6);
    expect(kinds(stock.sent)).toEqual(extKinds.slice(1));
    // The same bytes for both: one encoding shared, not a copy per joiner.
    for (let i = 0; i < stock.sent.length; i++) expect(stock.sent[i]).toBe(ext.sent[i + 1]);

    const progress = decodeServerMessage(ext.sent[0]!) as Extract<
      ServerMessage,
      { kind: "progress" }
    >;
    const updates = ext.sent
      .slice(1)
      .map((f) => decodeServerMessage(f) as Extract<ServerMessage, { update: Uint8Array }>);
    expect(progress.parts).toBe(updates.length);
    expect(progress.updateBytes).toBe(updates.reduce((n, m) => n + m.update.length, 0));
    const client = new Y.Doc();
    for (const { update } of updates) {
      Y.applyUpdate(client, update);
      expect(client.store.pendingStructs).toBeNull();
    }
    expect(client.getText("t").toString()).toBe(source.getText("t").toString());
  });

  it("answers a client that has half of it with only the rest", () => {
    const { connect, write, step1 } = setup();
    const source = bigDoc(2 * MiB);
    write(source);
    const first = connect(true);
    step1(first.conn);
    const client = new Y.Doc();
    for (const frame of first.sent.slice(1, 5)) {
      Y.applyUpdate(client, (decodeServerMessage(frame) as { update: Uint8Array }).update);
    }
    const again = connect(true);
    step1(again.conn, Y.encodeStateVector(client) as Uint8Array<ArrayBuffer>);
    const bytes = (list: Uint8Array[]) => list.reduce((n, f) => n + f.length, 0);
    expect(bytes(again.sent)).toBeLessThan(
      bytes(first.sent) - bytes(first.sent.slice(1, 5)) + 4096,
    );
    for (const frame of again.sent.slice(1))
      Y.applyUpdate(client, (decodeServerMessage(frame) as { update: Uint8Array }).update);
    expect(client.getText("t").toString()).toBe(source.getText("t").toString());
  });

  it("is one step 2, as before, for a document that fits in one part", () => {
    const { connect, write, step1 } = setup();
    write(bigDoc(100_000));
    const ext = connect(true);
    step1(ext.conn);
    expect(kinds(ext.sent)).toEqual(["sync-step2"]);
  });

  it("is refused whole (4529, no part sent) when the reply budget cannot take it all", () => {
    const { connect, write, step1 } = setup({ replyBudgetBytes: 1 * MiB });
    write(bigDoc(2 * MiB));
    const ext = connect(true);
    step1(ext.conn);
    expect(ext.sent).toEqual([]);
    expect(ext.closed).toEqual([CloseCode.RateLimited]);
  });

  it("paces the parts by what the socket holds unsent, and holds anything else until they are sent", async () => {
    const { connect, write, step1 } = setup();
    write(bigDoc(2 * MiB));
    let unsent = 0;
    const slow = connect(true, () => unsent);
    unsent = 2 * MiB; // of its answer's first parts, say: nothing more is handed to it
    step1(slow.conn);
    expect(kinds(slow.sent)).toEqual(["progress"]);
    const edit = new Y.Doc();
    edit.getText("other").insert(0, "typed meanwhile");
    write(edit); // broadcast to the slow socket: held behind its parts
    expect(kinds(slow.sent)).toEqual(["progress"]);
    unsent = 0;
    await new Promise((r) => setTimeout(r, PACE_INTERVAL_MS * 3));
    const after = kinds(slow.sent);
    expect(after.slice(-2)).toEqual(["sync-step2", "sync-update"]); // the edit, after the parts
    expect(after.filter((k) => k === "sync-update").length).toBeGreaterThan(6);
  });
});
