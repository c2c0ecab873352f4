// The Room against fake connections and an in-memory log, with real Yjs: what a write needs to be
// admitted, what a reader is refused, how frames form runs, and that "saved" follows the append.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { encodeSaved, encodeSyncStep2, encodeSyncUpdate } from "../protocol/messages";
import { decodeServerMessage } from "../protocol/server-messages";
import { judgeBytes, type CheckedUpdate } from "./admission";
import { DEFAULT_LIMITS, type RoomLimits } from "./config";
import type { Role } from "../protocol/roles";
import type { Connection } from "./connection";
import { Room } from "./room";

/** A room whose log is an array; `events` interleaves appends and what each socket was sent. */
function setup(limits: Partial<RoomLimits> = {}) {
  const events: string[] = [];
  const rows: Uint8Array[] = [];
  const conns: Connection[] = [];
  // The Room only appends: an in-memory append stands in for the SQLite store.
  const append = (update: Uint8Array): number => {
    rows.push(update);
    events.push(`append ${rows.length}`);
    return rows.length;
  };
  const room = new Room({
    append,
    storedBytes: () => rows.reduce((n, r) => n + r.length, 0),
    limits: { ...DEFAULT_LIMITS, ...limits },
    connections: () => conns,
    onChange: () => {},
    now: () => 1_000_000,
  });
  const connect = (name: string, role: Role = "write") => {
    const closed: { code: number; reason: string }[] = [];
    const conn: Connection = {
      state: { id: name, role, exp: null, aw: {} },
      send: (data) => {
        const m = decodeServerMessage(data);
        events.push(`${name} ${m.kind}${m.kind === "saved" ? ` ${m.counter}` : ""}`);
      },
      close: (code, reason) => closed.push({ code, reason }),
      saveState: () => {},
    };
    conns.push(conn);
    return { conn, closed };
  };
  const frames = (...list: [Connection, Uint8Array][]) =>
    room.handleMessages(list.map(([conn, bytes]) => ({ conn, data: toBuffer(bytes) })));
  return { room, rows, events, connect, frames };
}

function toBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A client document whose edits are collected as updates. */
function client() {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  const type = (text: string) => {
    doc.getText("t").insert(doc.getText("t").length, text);
    return updates[updates.length - 1]!;
  };
  return { doc, type };
}

const text = (room: Room) => room.doc.getText("t").toString();

describe("Room: write admission", () => {
  it("appends a writer's update before broadcasting it to the others, not to the sender", () => {
    const { room, rows, events, connect, frames } = setup();
    const a = connect("a");
    connect("b");
    frames([a.conn, encodeSyncUpdate(client().type("hello"))]);
    expect(text(room)).toBe("hello");
    expect(rows).toHaveLength(1);
    expect(events).toEqual(["append 1", "b sync-update"]);
  });

  it("closes a socket whose frame is not a Yjs update (4400) and applies nothing from it", () => {
    const { room, rows, connect, frames } = setup();
    const a = connect("a");
    const b = connect("b");
    frames([a.conn, encodeSyncUpdate(new Uint8Array([1, 2, 3, 250]))]);
    expect(a.closed.map((c) => c.code)).toEqual([CloseCode.ProtocolError]);
    expect(rows).toHaveLength(0);
    frames([b.conn, encodeSyncUpdate(client().type("still here"))]);
    expect(text(room)).toBe("still here");
    expect(b.closed).toEqual([]);
  });

  it("closes a socket whose frame is over the message cap (1009) before decoding it", () => {
    const { rows, connect, frames } = setup({ maxMessageBytes: 64 });
    const a = connect("a");
    frames([a.conn, encodeSyncUpdate(client().type("x".repeat(100)))]);
    expect(a.closed.map((c) => c.code)).toEqual([CloseCode.MessageTooBig]);
    expect(rows).toHaveLength(0);
  });

  it("refuses growth past the document's byte cap with 4413, and keeps what came before", () => {
    const { room, rows, connect, frames } = setup({ maxDocBytes: 200 });
    const a = connect("a");
    const c = client();
    const small = c.type("small");
    const big = c.type("y".repeat(400));
    frames([a.conn, encodeSyncUpdate(small)], [a.conn, encodeSyncUpdate(big)]);
    expect(a.closed.map((x) => x.code)).toEqual([CloseCode.DocumentTooLarge]);
    expect(text(room)).toBe("small");
    expect(rows).toHaveLength(1);
    // An update the document already holds is not growth: a reconnecting client's step 2 passes.
    const b = connect("b");
    frames([b.conn, encodeSyncStep2(small)]);
    expect(b.closed).toEqual([]);
  });
});

describe("Room: read-only sockets", () => {
  it("answers a reader's update with permission denied and stores and broadcasts nothing", () => {
    const { room, rows, events, connect, frames } = setup();
    const reader = connect("r", "read");
    connect("w");
    frames([reader.conn, encodeSyncUpdate(client().type("nope"))]);
    expect(text(room)).toBe("");
    expect(rows).toHaveLength(0);
    expect(events).toEqual(["r permission-denied"]);
    expect(reader.closed).toEqual([]);
  });

  it("lets a reader's step 2 through silently when it holds nothing new, else refuses it", () => {
    const { rows, events, connect, frames } = setup();
    const writer = connect("w");
    const reader = connect("r", "read");
    const c = client();
    const known = c.type("known");
    frames([writer.conn, encodeSyncUpdate(known)]);
    events.length = 0;
    frames([reader.conn, encodeSyncStep2(known)]);
    expect(events).toEqual([]);
    frames([reader.conn, encodeSyncStep2(Y.encodeStateAsUpdate(new Y.Doc()))]); // empty
    const fresh = client();
    fresh.type("unknown");
    frames([reader.conn, encodeSyncStep2(Y.encodeStateAsUpdate(fresh.doc))]);
    expect(events).toEqual(["r permission-denied"]);
    expect(rows).toHaveLength(1);
  });

  it("does not echo the saved request after a refused write, and echoes the next one", () => {
    const { events, connect, frames } = setup();
    const reader = connect("r", "read");
    frames(
      [reader.conn, encodeSyncUpdate(client().type("nope"))],
      [reader.conn, encodeSaved(1)],
      [reader.conn, encodeSaved(2)],
    );
    expect(events).toEqual(["r permission-denied", "r saved 2"]);
  });
});

describe("Room: batching and the saved echo", () => {
  it("stores one writer's consecutive updates as one row and broadcast; another writer ends the run", () => {
    const { room, rows, events, connect, frames } = setup();
    const a = connect("a");
    const b = connect("b");
    connect("watcher");
    const ca = client();
    const cb = client();
    frames(
      [a.conn, encodeSyncUpdate(ca.type("1"))],
      [a.conn, encodeSyncUpdate(ca.type("2"))],
      [a.conn, encodeSyncUpdate(ca.type("3"))],
      [b.conn, encodeSyncUpdate(cb.type("B"))],
      [a.conn, encodeSyncUpdate(ca.type("4"))],
    );
    expect(rows).toHaveLength(3);
    expect(events.filter((e) => e.startsWith("watcher"))).toHaveLength(3);
    const replica = new Y.Doc();
    for (const row of rows) Y.applyUpdate(replica, row);
    expect(replica.getText("t").toString()).toBe(text(room));
    expect(text(room)).toContain("1234");
  });

  it("echoes saved only after the updates before it are appended, and before later ones", () => {
    const { events, connect, frames } = setup();
    const a = connect("a");
    const c = client();
    frames(
      [a.conn, encodeSyncUpdate(c.type("x"))],
      [a.conn, encodeSyncUpdate(c.type("y"))],
      [a.conn, encodeSaved(7)],
      [a.conn, encodeSyncUpdate(c.type("z"))],
      [a.conn, encodeSaved(8)],
    );
    expect(events).toEqual(["append 1", "a saved 7", "append 2", "a saved 8"]);
  });
});

describe("Room: HTTP writes take the same verdict", () => {
  const checked = (update: Uint8Array) => judgeBytes(update, DEFAULT_LIMITS) as CheckedUpdate;

  it("says whether a write changed the document, and applies a reader's only if it adds nothing", () => {
    const { room, rows, events, connect } = setup();
    connect("watcher");
    const update = client().type("over http");
    expect(room.writeFrom("http", checked(update), "write")).toEqual({ changed: true });
    expect(room.writeFrom("http", checked(update), "write")).toEqual({ changed: false });
    expect(room.writeFrom("http", checked(update), "read")).toEqual({ changed: false });
    expect(room.writeFrom("http", checked(client().type("new")), "read")).toMatchObject({
      kind: "read-only",
    });
    expect(rows).toHaveLength(1);
    expect(events).toEqual(["append 1", "watcher sync-update"]);
  });

  it("judges the bytes alone first: size cap, then encoding", () => {
    const limits = { ...DEFAULT_LIMITS, maxMessageBytes: 16 };
    expect(judgeBytes(new Uint8Array(17), limits)).toMatchObject({ kind: "too-big" });
    expect(judgeBytes(new Uint8Array([1, 2, 3, 250]), limits)).toMatchObject({ kind: "invalid" });
    const ok = client().type("ok");
    expect(judgeBytes(ok, limits)).toBe(ok);
  });

  it("refuses HTTP growth past the byte cap and changes nothing", () => {
    const { room, rows } = setup({ maxDocBytes: 100 });
    const refusal = room.writeFrom("http", checked(client().type("z".repeat(200))), "admin");
    expect(refusal).toMatchObject({ kind: "document-too-large" });
    expect(rows).toHaveLength(0);
    expect(text(room)).toBe("");
  });
});

describe("Room: updates that cannot integrate are never kept", () => {
  /** A writer's second keystroke alone: it needs the first, which the room never saw. */
  const withheld = () => {
    const c = client();
    const first = c.type("a");
    return { first, second: c.type("b"), c };
  };
  const parked = (room: Room) => room.doc.store.pendingStructs ?? room.doc.store.pendingDs;

  it("tells a synced writer, keeps its socket, stores nothing, and does not echo its saved", () => {
    const { room, rows, events, connect, frames } = setup();
    const a = connect("a");
    frames([a.conn, encodeSyncStep2(Y.encodeStateAsUpdate(new Y.Doc()))]); // it answered step 1
    const { second, c } = withheld();
    frames([a.conn, encodeSyncUpdate(second)], [a.conn, encodeSaved(1)]);
    // Told, and asked again with our step 1 (its answer brings the part with what it needed).
    expect(events).toEqual(["a permission-denied", "a sync-step1"]);
    expect(a.closed).toEqual([]);
    expect(rows).toHaveLength(0);
    expect(parked(room)).toBeNull();
    frames([a.conn, encodeSyncStep2(Y.encodeStateAsUpdate(c.doc))], [a.conn, encodeSaved(2)]);
    expect(text(room)).toBe("ab");
    expect(events.slice(2)).toEqual(["append 1", "a saved 2"]);
  });

  it("says nothing before the writer's step 2, which brings what its update needed", () => {
    const { room, events, connect, frames } = setup();
    const a = connect("a");
    const { second, c } = withheld();
    // Edits made offline, then one typed while connecting, sent before our step 1 is answered.
    frames([a.conn, encodeSyncUpdate(second)]);
    expect(parked(room)).toBeNull();
    frames([a.conn, encodeSyncStep2(Y.encodeStateAsUpdate(c.doc))], [a.conn, encodeSaved(1)]);
    expect(text(room)).toBe("ab");
    expect(events).toEqual(["append 1", "a saved 1"]);
  });

  it("answers an HTTP write with missing_dependencies and keeps nothing of it", () => {
    const { room, rows } = setup();
    const update = judgeBytes(withheld().second, DEFAULT_LIMITS) as CheckedUpdate;
    expect(room.writeFrom("http", update, "write")).toMatchObject({
      kind: "missing-dependencies",
      message: expect.stringMatching(/does not have/),
    });
    expect(rows).toHaveLength(0);
    expect(parked(room)).toBeNull();
  });
});
