// The DocumentStore contract, run against both implementations: the DO's SQLite log (over
// Node's built-in SQLite, the same SQL engine) and the in-memory store the unit tests use — so
// the fake is held to what the real store does.
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentStore } from "./document-store";
import { emptyMemoryData, MemoryStore } from "./memory-store";
import { nodeSql, nodeTransaction } from "../../test/helpers/node-platform";
import { SqliteLog } from "./sqlite-log";

function sqliteBackend(db = new DatabaseSync(":memory:")) {
  const transaction = nodeTransaction(db);
  return { db, open: (): DocumentStore => new SqliteLog(nodeSql(db), transaction) };
}

function memoryBackend() {
  const data = emptyMemoryData();
  return { open: (): DocumentStore => new MemoryStore(data) };
}

const validate = (update: Uint8Array) => Y.decodeUpdate(update);
const noRescue = () => Promise.reject(new Error("nothing is damaged here"));
const load = (store: DocumentStore) => store.load("doc", validate, noRescue);

/** Real Yjs updates: one per edit of a text. */
function edits(...texts: string[]): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  for (const t of texts) doc.getText("t").insert(doc.getText("t").length, t);
  return { doc, updates };
}

const textOf = (stored: Awaited<ReturnType<DocumentStore["load"]>>) => {
  const doc = new Y.Doc();
  if (stored?.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const e of stored?.log ?? []) Y.applyUpdate(doc, e.data);
  return doc.getText("t").toString();
};

describe.each([
  ["SqliteLog", sqliteBackend],
  ["MemoryStore", memoryBackend],
])("DocumentStore contract: %s", (_name, backend) => {
  it("loads nothing from an empty store, and writes nothing doing so", async () => {
    const { open } = backend();
    expect(await load(open())).toBeNull();
    expect(await load(open())).toBeNull();
    expect(open().identity()).toMatchObject({ docId: null, epoch: "" });
  });

  it("gives a new document its identity once", async () => {
    const { open } = backend();
    const store = open();
    store.create("doc", 5);
    const first = store.identity();
    expect(first).toMatchObject({ docId: "doc", createdAt: 5, tombstone: null });
    expect(first.epoch).not.toBe("");
    store.create("doc", 9);
    expect(open().identity()).toEqual(first);
    expect(await load(open())).toMatchObject({ snapshot: null, log: [] });
  });

  it("keeps appended updates across a reopen, in order, with their sizes", async () => {
    const { open } = backend();
    const store = open();
    store.create("doc", 1);
    const { updates } = edits("a", "bc", "def");
    expect(updates.map((u) => store.append(u))).toEqual([1, 2, 3]);
    const bytes = updates.reduce((n, u) => n + u.length, 0);
    expect(store.size()).toEqual({
      logRows: 3,
      logBytes: bytes,
      snapshotBytes: 0,
      bytes,
      lastSeq: 3,
    });
    const again = open();
    const stored = await load(again);
    expect(stored?.log.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(textOf(stored)).toBe("abcdef");
    expect(again.size()).toEqual(store.size());
  });

  it("compacts in one step: snapshot written, covered rows dropped, writes counted", async () => {
    const { open } = backend();
    const store = open();
    store.create("doc", 1);
    const { doc, updates } = edits("a", "b", "c");
    for (const u of updates) store.append(u);
    const logBytes = store.size().logBytes;
    const snapshot = Y.encodeStateAsUpdate(doc);
    store.compact(snapshot, Y.encodeStateVector(doc), { throughSeq: 2, updatedAt: 42 });
    expect(store.size()).toMatchObject({ logRows: 1, snapshotBytes: snapshot.length, lastSeq: 3 });
    expect(store.writeTotals()).toMatchObject({
      compactions: 1,
      log_bytes_total: logBytes,
      snapshot_bytes_total: snapshot.length,
    });
    expect(store.identity().updatedAt).toBe(42);
    const stored = await load(open());
    expect(stored?.log.map((e) => e.seq)).toEqual([3]);
    expect(stored?.snapshotStateVector).toEqual(Y.encodeStateVector(doc));
    expect(textOf(stored)).toBe("abc");
    expect(store.append(edits("x").updates[0]!)).toBe(4);
  });

  it("leaves everything as it was when a compaction fails before it commits", async () => {
    const { open } = backend();
    const store = open();
    store.create("doc", 1);
    const { doc, updates } = edits("a", "b");
    for (const u of updates) store.append(u);
    const size = store.size();
    const fail = () => {
      throw new Error("injected");
    };
    expect(() =>
      store.compact(Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc), {
        throughSeq: 2,
        updatedAt: 7,
        beforeCommit: fail,
      }),
    ).toThrow("injected");
    expect(store.size()).toEqual(size);
    expect(store.writeTotals().compactions).toBe(0);
    const stored = await load(open());
    expect(stored?.snapshot).toBeNull();
    expect(stored?.log).toHaveLength(2);
  });

  it("hydrates D1's copy as its whole state: snapshot, identity and replication", async () => {
    const { open } = backend();
    const store = open();
    const { doc } = edits("from d1");
    store.hydrate({
      snapshot: Y.encodeStateAsUpdate(doc),
      stateVector: Y.encodeStateVector(doc),
      identity: { docId: "doc", epoch: "e1", createdAt: 3, updatedAt: 4 },
      replicated: { generation: 6, flushedSeq: 7 },
    });
    expect(store.identity()).toMatchObject({ docId: "doc", epoch: "e1", createdAt: 3 });
    expect(store.replication()).toEqual({ generation: 6, flushedSeq: 7, failures: 0 });
    expect(store.size()).toMatchObject({ logRows: 0, lastSeq: 7 });
    expect(textOf(await load(open()))).toBe("from d1");
    expect(store.append(edits("x").updates[0]!)).toBe(8);
  });

  it("records flush outcomes: failures count up, a success resets them", () => {
    const { open } = backend();
    const store = open();
    store.create("doc", 1);
    expect(store.recordFlush(null).failures).toBe(1);
    expect(store.recordFlush(null).failures).toBe(2);
    expect(store.recordFlush({ generation: 3, flushedSeq: 5, bytes: 10 })).toEqual({
      generation: 3,
      flushedSeq: 5,
      failures: 0,
    });
    expect(open().writeTotals()).toMatchObject({ d1_flushes: 1, d1_bytes_total: 10 });
    expect(open().replication()).toEqual({ generation: 3, flushedSeq: 5, failures: 0 });
  });

  it("wipes everything but the tombstone", async () => {
    const { open } = backend();
    const store = open();
    store.create("doc", 1);
    const { doc, updates } = edits("gone");
    for (const u of updates) store.append(u);
    store.recordFlush({ generation: 1, flushedSeq: 1, bytes: 5 });
    const tombstone = Y.encodeStateVector(doc);
    store.wipe(tombstone);
    expect(await load(open())).toBeNull();
    expect(open().identity()).toEqual({
      docId: null,
      epoch: "",
      createdAt: 0,
      updatedAt: 0,
      tombstone,
    });
    expect(store.size()).toEqual({
      logRows: 0,
      logBytes: 0,
      snapshotBytes: 0,
      bytes: 0,
      lastSeq: 0,
    });
    expect(open().writeTotals().d1_flushes).toBe(0);
  });
});

describe("SqliteLog damage", () => {
  it("quarantines a log row whose bytes changed, and serves the rest", async () => {
    const { db, open } = sqliteBackend();
    const store = open();
    store.create("doc", 1);
    for (const u of edits("a", "b", "c").updates) store.append(u);
    db.prepare("UPDATE es_log SET data = ? WHERE seq = 2").run(new Uint8Array([0, 0, 9]));
    const stored = await load(open());
    expect(stored?.quarantined.map((q) => q.source)).toEqual(["log:2"]);
    expect(stored?.log.map((e) => e.seq)).toEqual([1, 3]);
    expect((await load(open()))?.quarantined).toEqual([]);
    expect(open().quarantined()).toHaveLength(1);
  });

  it("changes nothing when a damaged snapshot has no rescue", async () => {
    const { db, open } = sqliteBackend();
    const store = open();
    store.create("doc", 1);
    const { doc, updates } = edits("snap");
    for (const u of updates) store.append(u);
    store.compact(Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc), {
      throughSeq: 1,
      updatedAt: 2,
    });
    db.prepare("UPDATE es_snapshot SET data = ? WHERE part = 0").run(new Uint8Array([1, 2]));
    const dump = () => JSON.stringify(db.prepare("SELECT * FROM es_snapshot").all());
    const before = dump();
    await expect(load(open())).rejects.toThrow("nothing is damaged here");
    expect(dump()).toBe(before);
    expect(open().quarantined()).toEqual([]);
  });
});
