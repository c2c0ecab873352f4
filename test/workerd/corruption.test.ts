// Damaged storage: a load that finds a damaged row never serves or replicates less than the
// best intact copy it can reach. Every case corrupts real stored bytes in the Durable Object's
// SQLite and compares D1 before and after.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { CloseCode } from "../../protocol/close-codes";
import { d1Snapshot } from "../helpers/d1";
import {
  SyncedDoc,
  fetchWorker,
  openSocket,
  stubFor,
  uniqueDocId,
} from "../helpers/workerd-socket";

const persistNow = (docId: string) =>
  runInDurableObject(stubFor(docId), (o: DocumentObject) => o.persistNow());
const stats = (docId: string) =>
  runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
const evict = (docId: string) => evictDurableObject(stubFor(docId), { webSockets: "close" });

/** Runs SQL in the document's Durable Object storage. */
const sql = <T extends Record<string, SqlStorageValue>>(
  docId: string,
  query: string,
  ...bindings: unknown[]
) =>
  runInDurableObject(stubFor(docId), (_o: DocumentObject, state) =>
    state.storage.sql.exec<T>(query, ...bindings).toArray(),
  );

/** Everything in the DO's SQLite tables, as one comparable string. */
const dump = async (docId: string) => {
  const tables = ["es_log", "es_snapshot", "es_meta", "es_quarantine"];
  const rows = await Promise.all(tables.map((t) => sql(docId, `SELECT * FROM ${t}`)));
  return JSON.stringify(rows, (_k, v) =>
    v instanceof ArrayBuffer ? Array.from(new Uint8Array(v)) : v,
  );
};

/** The text of D1's current generation, decoded. */
async function d1Text(docId: string): Promise<{ generation: number | undefined; text: string }> {
  const { doc, bytes } = await d1Snapshot(docId);
  const decoded = new Y.Doc();
  if (bytes.length > 0) Y.applyUpdate(decoded, bytes);
  return {
    generation: doc?.generation as number | undefined,
    text: decoded.getText("t").toString(),
  };
}

/** Replaces the first occurrence of `from` in `bytes` with `to` (same length): a flipped byte. */
function flip(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const needle = new TextEncoder().encode(from);
  const out = new Uint8Array(bytes);
  for (let i = 0; i + needle.length <= out.length; i++) {
    if (needle.every((b, j) => out[i + j] === b)) {
      out.set(new TextEncoder().encode(to), i);
      return out;
    }
  }
  throw new Error(`"${from}" not found in the stored bytes`);
}

/** A document with a compacted snapshot replicated to D1 (generation 1) and one log row after it. */
async function snapshotThenTail(docId: string, base: string, tail: string): Promise<SyncedDoc> {
  const writer = await SyncedDoc.open(docId);
  writer.doc.getText("t").insert(0, base);
  await (await SyncedDoc.open(docId)).waitForText(base);
  await persistNow(docId);
  writer.doc.getText("t").insert(base.length, tail);
  await (await SyncedDoc.open(docId)).waitForText(base + tail);
  return writer;
}

const snapshotBytes = async (docId: string) =>
  new Uint8Array(
    (await sql<{ data: ArrayBuffer }>(docId, "SELECT data FROM es_snapshot ORDER BY part"))[0]!
      .data,
  );

describe("damaged storage", () => {
  it("rebuilds a snapshot that no longer decodes from D1's generation plus the intact log", async () => {
    const docId = uniqueDocId();
    await snapshotThenTail(docId, "intact snapshot", " and tail");
    const bytes = await snapshotBytes(docId);
    await sql(
      docId,
      "UPDATE es_snapshot SET data = ? WHERE part = 0",
      bytes.slice(0, bytes.length >> 1),
    );
    await evict(docId);
    const d1Before = await d1Text(docId);
    expect(d1Before).toEqual({ generation: 1, text: "intact snapshot" });

    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("intact snapshot and tail");
    const s = await stats(docId);
    expect(s.lastLoad?.recovered).toEqual({ from: "d1", generation: 1, lostSeqs: null });
    expect(s.quarantined.map((q) => q.source)).toEqual(["snapshot"]);
    expect(s.quarantined[0]!.bytes).toBe(bytes.length >> 1); // the damaged bytes are kept
    // D1 never holds less than before (the debounced flush may already have run), and the
    // next generation holds everything.
    expect(["intact snapshot", "intact snapshot and tail"]).toContain((await d1Text(docId)).text);
    await persistNow(docId);
    const after = await d1Text(docId);
    expect(after.text).toBe("intact snapshot and tail");
    expect(after.generation).toBeGreaterThan(1);
  });

  it("treats a snapshot whose checksum does not match as damaged even if it still decodes", async () => {
    const docId = uniqueDocId();
    await snapshotThenTail(docId, "original words", "!");
    await sql(
      docId,
      "UPDATE es_snapshot SET data = ? WHERE part = 0",
      flip(await snapshotBytes(docId), "words", "wordz"),
    );
    await evict(docId);
    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("original words!");
    expect((await stats(docId)).quarantined[0]!.reason).toMatch(/checksum mismatch/);
    await persistNow(docId);
    expect((await d1Text(docId)).text).toBe("original words!");
  });

  it("sets aside a log row with a flipped byte, serves the rest, and lets a client restore it", async () => {
    const docId = uniqueDocId();
    const writer = await snapshotThenTail(docId, "base ", "and more");
    const [row] = await sql<{ seq: number; data: ArrayBuffer }>(
      docId,
      "SELECT seq, data FROM es_log ORDER BY seq DESC LIMIT 1",
    );
    await sql(
      docId,
      "UPDATE es_log SET data = ? WHERE seq = ?",
      flip(new Uint8Array(row!.data), "more", "mord"),
      row!.seq,
    );
    await evict(docId);

    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("base ");
    const s = await stats(docId);
    expect(s.quarantined.map((q) => q.source)).toEqual([`log:${row!.seq}`]);
    expect(s.quarantined[0]!.reason).toMatch(/checksum mismatch/);
    await persistNow(docId);
    expect((await d1Text(docId)).text).toBe("base "); // never the flipped "mord"

    // The writer still holds the update: its next sync puts it back.
    await SyncedDoc.open(docId, "", writer.doc);
    await reader.waitForText("base and more");
  });

  it("refuses a document whose damaged snapshot has no copy in D1, and changes nothing", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "only here");
    await (await SyncedDoc.open(docId)).waitForText("only here");
    // Compact without replicating, then damage the snapshot.
    await runInDurableObject(stubFor(docId), (o: DocumentObject) =>
      o.persistNow({ compact: true }),
    );
    const bytes = await snapshotBytes(docId);
    await sql(docId, "UPDATE es_snapshot SET data = ? WHERE part = 0", flip(bytes, "here", "hera"));
    await evict(docId);
    const before = await dump(docId);

    for (let i = 0; i < 2; i++) {
      const refused = await openSocket(`/sync/${docId}`);
      const closed = await refused.closed;
      expect(closed.code).toBe(CloseCode.DocumentUnavailable);
      expect(closed.reason).toMatch(/damaged/);
    }
    const res = await fetchWorker(`/v1/docs/${docId}/json`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("document_damaged");
    expect(await dump(docId)).toBe(before);
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM documents WHERE id = ?")
        .bind(docId)
        .first("n"),
    ).toBe(0);
  });

  it("never replaces a D1 generation that holds updates the document lacks", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "replicated");
    await (await SyncedDoc.open(docId)).waitForText("replicated");
    await persistNow(docId);
    // D1's generation claims an update (client 1, clock 5) this document never had.
    const claimed = new Y.Doc();
    claimed.clientID = 1;
    claimed.getText("t").insert(0, "12345");
    const sv = Y.encodeStateVector(writer.doc);
    const merged = Y.encodeStateVectorFromUpdate(
      Y.mergeUpdates([Y.encodeStateAsUpdate(writer.doc), Y.encodeStateAsUpdate(claimed)]),
    );
    expect(merged.length).toBeGreaterThan(sv.length);
    await env.DB.prepare("UPDATE documents SET state_vector = ? WHERE id = ?")
      .bind(merged, docId)
      .run();
    const before = await d1Snapshot(docId);

    writer.doc.getText("t").insert(0, "more ");
    await (await SyncedDoc.open(docId)).waitForText("more replicated");
    await persistNow(docId);
    const after = await d1Snapshot(docId);
    expect(after.doc?.generation).toBe(before.doc?.generation);
    expect(after.bytes).toEqual(before.bytes);
    expect((await stats(docId)).d1.lastError).toMatch(/holds updates this copy lacks/);
  });
});
