// The document host in Node, behind its platform port: node:sqlite for the object's storage and
// for D1 (the real SqliteLog and D1Record), sockets that record what they were sent. Loading and
// reloading, a failed load retried, closing every socket, and deletion that leaves nothing.
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { encodeSyncUpdate } from "../protocol/messages";
import { FakeSocket, NodePlatform, nodeD1 } from "../test/helpers/node-platform";
import { DEFAULT_LIMITS } from "./config";
import type { Handoff } from "./contract";
import { DocumentHost } from "./document-host";
import { DocumentNotFoundError } from "./backends";
import type { DocumentEventMap } from "./events";
import { installFeatures } from "./features";
import { agentWrite, agentPresence } from "./operations/agent";
import { destroy, persistNow } from "./operations/document";
import type { Hosted } from "./operations/open";
import { D1Record } from "./storage/d1-record";

const DOC = "notes";
const WRITER: Handoff = { docId: DOC, role: "write", exp: null, sub: "ada" };
const ACTOR = { id: "agent-7", name: "Seven" };

/** One object: its SQLite (kept across restarts by passing `db`), a shared D1, a clock. */
function object(db = new DatabaseSync(":memory:"), d1 = nodeD1(), clock = { t: Date.now() }) {
  const platform = new NodePlatform(db);
  const now = () => clock.t;
  const host = new DocumentHost({ platform, d1: new D1Record(d1), limits: DEFAULT_LIMITS, now });
  const features = installFeatures(host, platform.sql, {
    limits: DEFAULT_LIMITS,
    agentLeaseMs: 60_000,
    activityMaxRows: 100,
    now,
  });
  const doc: Hosted = { host, features, batches: { count: 0, frames: 0, largest: 0 } };
  const seen: { [K in keyof DocumentEventMap]?: DocumentEventMap[K][] } = {};
  for (const name of ["loaded", "stored", "deleted", "refused"] as const)
    host.events.on(name, (e) => (seen[name] ??= [] as never[]).push(e as never));
  /** Accepts a socket the way the Durable Object does (admit, accept, greet). */
  const connect = async (handoff = WRITER) => {
    const ws = new FakeSocket();
    const refusal = await host.admitSocket(handoff, null);
    if (refusal) return { ws, refusal };
    platform.open.push(ws);
    host.connect(ws, handoff, false);
    return { ws, refusal };
  };
  return { db, d1, platform, host, doc, seen, connect, clock };
}

/** A client edit, framed as a y-websocket update. */
function edit(text: string): ArrayBuffer {
  const client = new Y.Doc();
  client.getText("t").insert(0, text);
  const frame = encodeSyncUpdate(Y.encodeStateAsUpdate(client));
  return frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer;
}

const textOf = async (host: DocumentHost) => (await host.open(DOC, "existing")).doc.getText("t");

describe("the document host", () => {
  it("loads a document, stores a socket's write with its actor, and loads it again after a restart", async () => {
    const first = object();
    const { ws } = await first.connect();
    first.host.handleFrames([{ ws, data: edit("hello") }]);
    expect(first.seen.loaded?.map((e) => e.report.source)).toEqual(["new"]);
    expect(first.seen.stored?.map(({ origin, actor, seq }) => ({ origin, actor, seq }))).toEqual([
      { origin: "socket", actor: "ada", seq: 1 },
    ]);

    const restarted = object(first.db, first.d1); // same SQLite: memory is gone
    await restarted.host.wake();
    expect(restarted.seen.loaded?.map((e) => e.report.source)).toEqual(["storage"]);
    expect((await textOf(restarted.host)).toString()).toBe("hello");
  });

  it("sets the alarm for changes D1 lacks, again after a restart, and replicates when it fires", async () => {
    const first = object();
    const { ws } = await first.connect();
    first.host.handleFrames([{ ws, data: edit("to replicate") }]);
    expect(first.platform.alarm).toBe(first.clock.t + DEFAULT_LIMITS.flushDebounceMs);

    // The object restarts with its alarm lost: loading finds the change D1 lacks and sets the
    // alarm for it — due at once (when the change was made is not known after a restart).
    const restarted = object(first.db, first.d1, first.clock);
    await restarted.host.wake();
    expect(restarted.platform.alarm).not.toBeNull();
    expect(restarted.platform.alarm!).toBeLessThanOrEqual(restarted.clock.t);
    restarted.platform.alarm = null; // it fired
    await restarted.host.alarm();
    const record = await new D1Record(first.d1).get(DOC);
    expect(record?.flushedSeq).toBe(1);
    expect(restarted.platform.alarm).toBeNull(); // nothing left to do
  });

  it("refuses sockets while a load fails, closes the ones it had, and loads on the next try", async () => {
    const source = object();
    const { ws } = await source.connect();
    source.host.handleFrames([{ ws, data: edit("from D1") }]);
    await persistNow(source.doc, { flush: true }); // D1 now holds the document

    // A new object whose own storage is empty must hydrate from D1, which fails for a while.
    let d1Down = true;
    const d1 = new Proxy(source.d1, {
      get: (target, key) =>
        d1Down
          ? () => {
              throw new Error("D1 down");
            }
          : Reflect.get(target, key),
    });
    const fresh = object(new DatabaseSync(":memory:"), d1 as D1Database);
    const waiting = new FakeSocket();
    fresh.platform.open.push(waiting); // a socket that survived hibernation
    waiting.serializeAttachment({ id: "w", doc: DOC, role: "write", exp: null, aw: {} });
    const { refusal } = await fresh.connect();
    expect(refusal?.code).toBe(CloseCode.DocumentUnavailable);
    expect(waiting.closed?.code).toBe(CloseCode.DocumentUnavailable);
    expect(fresh.seen.refused?.[0]).toMatchObject({ origin: "socket", code: 4503 });

    d1Down = false;
    const retry = await fresh.connect();
    expect(retry.refusal).toBeNull();
    expect(fresh.seen.loaded?.map((e) => e.report.source)).toEqual(["d1"]);
    expect((await textOf(fresh.host)).toString()).toBe("from D1");
  });

  it("after a failure while handling frames, closes every socket and reloads from storage", async () => {
    const { host, connect, seen } = object();
    const a = await connect();
    const b = await connect({ ...WRITER, sub: "bo" });
    host.handleFrames([{ ws: a.ws, data: edit("kept") }]);
    const off = host.events.on("stored", () => {
      throw new Error("a feature failed");
    });
    host.handleFrames([{ ws: b.ws, data: edit("x") }]);
    off();
    for (const { ws } of [a, b]) expect(ws.closed?.code).toBe(CloseCode.InternalError);
    expect(host.loaded).toBeNull();

    const again = await connect();
    expect(again.refusal).toBeNull();
    expect(seen.loaded).toHaveLength(2);
    expect((await textOf(host)).toString()).toContain("kept");
  });

  it("deletes everything of the document in one transaction, or nothing", async () => {
    const { db, d1, host, doc, connect, seen } = object();
    const { ws } = await connect();
    host.handleFrames([{ ws, data: edit("secret") }]);
    const agent = new Y.Doc();
    agent.getText("t").insert(0, "agent text");
    const written = await agentWrite(doc, DOC, Y.encodeStateAsUpdate(agent), ACTOR, "apply", {
      clientId: 77,
    });
    expect(written.ok).toBe(true);
    expect(seen.stored?.at(-1)).toMatchObject({ origin: "rpc", actor: "agent-7", name: "Seven" });
    await persistNow(doc, { flush: true });
    const rows = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect(rows("es_activity")).toBe(1);
    expect(rows("es_agent_peers")).toBe(1);

    // A failure part way through the wipe (after the log and snapshot rows went) undoes it all.
    db.exec(
      `CREATE TRIGGER refuse BEFORE DELETE ON es_activity BEGIN SELECT RAISE(ABORT, 'disk'); END`,
    );
    expect((await destroy(doc, DOC)).ok).toBe(false);
    expect(rows("es_snapshot") + rows("es_activity") + rows("es_agent_peers")).toBe(3);
    db.exec("DROP TRIGGER refuse");
    expect(ws.closed).toBeNull();

    // D1 was deleted by the failed attempt; the retry deletes everything that is left.
    expect(await destroy(doc, DOC)).toEqual({ ok: true, deleted: true });
    expect(ws.closed?.code).toBe(CloseCode.DocumentDeleted);
    expect(seen.deleted).toHaveLength(1);
    for (const table of ["es_log", "es_snapshot", "es_quarantine", "es_activity", "es_agent_peers"])
      expect(rows(table), table).toBe(0);
    const meta = db.prepare("SELECT key FROM es_meta").all() as { key: string }[];
    expect(meta.map((r) => r.key)).toEqual(["tombstone_sv"]);

    const reopened = object(db, d1);
    await reopened.host.wake();
    await expect(reopened.host.open(DOC, "existing")).rejects.toBeInstanceOf(DocumentNotFoundError);
    expect((await agentPresence(reopened.doc, DOC, ACTOR, { clientId: 77 }, true)).ok).toBe(true);
    const view = await reopened.host.open(DOC, "view");
    expect(view.doc.getText("t").toString()).toBe("");
    expect(view.presence.awareness.getStates().has(77)).toBe(false);
  });
});
