// Safe loading: a load that throws refuses sockets with a transient code and writes nothing;
// a damaged stored row is quarantined and reported while the rest of the document loads.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { setFault } from "../../durable-objects/faults";
import { crc32 } from "../../durable-objects/storage/crc32";
import { CloseCode, isTransientClose } from "../../protocol/close-codes";
import { SyncedDoc, openSocket, stubFor, uniqueDocId } from "../helpers/workerd-socket";

/** Everything in the DO's SQLite tables, as one comparable string. */
const dump = (docId: string) =>
  runInDurableObject(stubFor(docId), (_o: DocumentObject, state) => {
    const tables = ["es_log", "es_snapshot", "es_meta", "es_quarantine"];
    return JSON.stringify(
      tables.map((t) => state.storage.sql.exec(`SELECT * FROM ${t}`).toArray()),
      (_k, v) => (v instanceof ArrayBuffer ? Array.from(new Uint8Array(v)) : v),
    );
  });

describe("loading", () => {
  it("refuses sockets with 4503 while loading fails, writes nothing, and recovers", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "precious content");
    await (await SyncedDoc.open(docId)).waitForText("precious content");
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const before = await dump(docId);
    await evictDurableObject(stubFor(docId), { webSockets: "close" });

    setFault(docId, "load");
    try {
      for (let i = 0; i < 3; i++) {
        const refused = await openSocket(`/sync/${docId}`);
        const { code } = await refused.closed;
        expect(code).toBe(CloseCode.DocumentUnavailable);
        expect(isTransientClose(code)).toBe(true);
      }
    } finally {
      setFault(docId, "load", false);
    }
    expect(await dump(docId)).toBe(before);
    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("precious content");
  });

  it("never starts an empty document in place of one whose load failed", async () => {
    const docId = uniqueDocId("new");
    setFault(docId, "load");
    try {
      const refused = await openSocket(`/sync/${docId}`);
      expect((await refused.closed).code).toBe(CloseCode.DocumentUnavailable);
    } finally {
      setFault(docId, "load", false);
    }
    const rows = await runInDurableObject(stubFor(docId), (_o: DocumentObject, state) =>
      state.storage.sql.exec("SELECT COUNT(*) AS n FROM es_meta").one(),
    );
    expect(rows.n).toBe(0);
  });

  it("quarantines a corrupt log row and loads the rest", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "good ");
    writer.doc.getText("t").insert(5, "rows");
    await (await SyncedDoc.open(docId)).waitForText("good rows");
    await runInDurableObject(stubFor(docId), (_o: DocumentObject, state) => {
      state.storage.sql.exec(
        "INSERT INTO es_log (seq, part, data) VALUES ((SELECT MAX(seq) + 1 FROM es_log), 0, ?)",
        new Uint8Array([1, 2, 3, 255, 255, 255]),
      );
    });
    await evictDurableObject(stubFor(docId), { webSockets: "close" });

    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("good rows");
    const stats = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(stats.quarantined).toHaveLength(1);
    expect(stats.quarantined[0]!.source).toMatch(/^log:\d+$/);
    expect(stats.lastLoad?.quarantined).toHaveLength(1);
    // The document stays writable.
    reader.doc.getText("t").insert(0, "still ");
    await (await SyncedDoc.open(docId)).waitForText("still good rows");
  });

  it("checksums each snapshot, and quarantines one whose bytes changed since", async () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "compacted text");
    await (await SyncedDoc.open(docId)).waitForText("compacted text");
    const stored = await runInDurableObject(stubFor(docId), async (o: DocumentObject, state) => {
      await o.persistNow(); // compacts the log into a snapshot
      const parts = state.storage.sql
        .exec<{ data: ArrayBuffer }>("SELECT data FROM es_snapshot ORDER BY part")
        .toArray();
      const meta = state.storage.sql
        .exec<{ value: number }>("SELECT value FROM es_meta WHERE key = 'snapshot_crc32'")
        .one();
      return { bytes: new Uint8Array(parts[0]!.data), crc: meta.value };
    });
    expect(stored.crc).toBe(crc32(stored.bytes));

    // An unchanged snapshot loads (without a second decode to validate it).
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    await (await SyncedDoc.open(docId)).waitForText("compacted text");

    // Truncated in storage: the checksum no longer matches, so it is set aside and the document
    // is rebuilt from D1's copy (see corruption.test.ts); it still opens whole and takes writes.
    await runInDurableObject(stubFor(docId), (_o: DocumentObject, state) => {
      state.storage.sql.exec(
        "UPDATE es_snapshot SET data = ? WHERE part = 0",
        stored.bytes.slice(0, stored.bytes.length >> 1),
      );
    });
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("compacted text");
    const stats = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(stats.quarantined.map((q) => q.source)).toEqual(["snapshot"]);
    reader.doc.getText("t").insert(0, "after ");
    await (await SyncedDoc.open(docId)).waitForText("after compacted text");
  });

  it("answers a fresh client from the stored snapshot before applying it, and applies it for anything else", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "cold text");
    const early = await SyncedDoc.open(docId);
    await early.waitForText("cold text");
    // A client that goes offline here, edits, and comes back after the document moved on.
    const returning = new Y.Doc();
    Y.applyUpdate(returning, Y.encodeStateAsUpdate(early.doc));
    returning.getText("t").insert(0, "offline ");
    writer.doc.getText("t").insert(9, " moved on");
    await early.waitForText("cold text moved on");
    const compactAndEvict = async () => {
      await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.persistNow());
      await evictDurableObject(stubFor(docId), { webSockets: "close" });
    };
    await compactAndEvict();

    // A fresh client (empty state vector): step 1 and step 2 come from stored bytes.
    const fresh = await SyncedDoc.open(docId);
    await fresh.waitForText("cold text moved on");
    const cold = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(cold.lastLoad?.deferred).toBe(true);
    expect(cold.snapshotPending).toBe(true); // still, after serving that client (stats applies it)

    // Reloaded again: a client with a state vector gets what it lacks; its own change is applied
    // on top of the snapshot, stored and broadcast.
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const back = await SyncedDoc.open(docId, "", returning);
    await back.waitForText("offline cold text moved on");
    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("offline cold text moved on");
    expect(
      (await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats())).snapshotPending,
    ).toBe(false);
    await compactAndEvict();
    await (await SyncedDoc.open(docId)).waitForText("offline cold text moved on");

    // A log after the snapshot means applying at load, as before.
    const editor = await SyncedDoc.open(docId);
    await editor.waitForText("offline cold text moved on");
    editor.doc.getText("t").insert(0, "!");
    await (await SyncedDoc.open(docId)).waitForText("!offline cold text moved on");
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    await (await SyncedDoc.open(docId)).waitForText("!offline cold text moved on");
    expect(
      (await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats())).lastLoad
        ?.deferred,
    ).toBe(false);
  });
});
