// Compaction: alarms fold the log into a chunked snapshot in one transaction; a compaction
// that dies part way changes nothing and the retry succeeds; reloads are exact.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { setFault } from "../../durable-objects/faults";
import { SyncedDoc, stubFor, uniqueDocId } from "../helpers/workerd-socket";

const stats = (docId: string) =>
  runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());

/** Types words one round trip apart, so each is its own batch and log row. */
async function typeWords(writer: SyncedDoc, reader: SyncedDoc, words: number, tag: string) {
  const text = writer.doc.getText("t");
  for (let i = 0; i < words; i++) {
    text.insert(text.length, `${tag}${i} `);
    await reader.waitForText(text.toString());
  }
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("compaction", () => {
  it("bounds the log and reloads byte-identical content, repeatedly", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    const reader = await SyncedDoc.open(docId);
    let lastSnapshot = 0;
    for (let round = 0; round < 5; round++) {
      await typeWords(writer, reader, 30, `r${round}-`);
      // The alarm compacts once the log passes COMPACT_LOG_ROWS (20 in this project).
      const s = await until(
        () => stats(docId),
        (v) => v.logRows < 20 && v.snapshotBytes > lastSnapshot,
      );
      lastSnapshot = s.snapshotBytes;
    }
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const fresh = await SyncedDoc.open(docId);
    await fresh.waitForText(writer.doc.getText("t").toString());
    expect(Y.encodeStateVector(fresh.doc)).toEqual(Y.encodeStateVector(writer.doc));
    expect(fresh.doc.getText("t").toJSON()).toEqual(writer.doc.getText("t").toJSON());
    expect((await stats(docId)).encodedBytes).toBe(Y.encodeStateAsUpdate(writer.doc).length);
  }, 30_000);

  it("survives a compaction that fails before commit, then compacts on retry", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    const reader = await SyncedDoc.open(docId);
    setFault(docId, "compact-before-commit");
    try {
      await typeWords(writer, reader, 25, "a");
      await new Promise((r) => setTimeout(r, 100)); // let the failing alarm run
      const failed = await stats(docId);
      expect(failed.logRows).toBe(25); // rolled back: nothing deleted
      expect(failed.snapshotBytes).toBe(0);
      await evictDurableObject(stubFor(docId), { webSockets: "close" });
      const afterCrash = await SyncedDoc.open(docId);
      await afterCrash.waitForText(writer.doc.getText("t").toString());
    } finally {
      setFault(docId, "compact-before-commit", false);
    }
    // The retry alarm (scheduled by the failed one, kept across eviction) now succeeds.
    await until(
      () => stats(docId),
      (v) => v.logRows === 0 && v.snapshotBytes > 0,
    );
    // Running it again (alarms are at-least-once) is harmless.
    await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.persistNow());
    await runDurableObjectAlarm(stubFor(docId));
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const reloaded = await SyncedDoc.open(docId);
    await reloaded.waitForText(writer.doc.getText("t").toString());
    expect(Y.encodeStateVector(reloaded.doc)).toEqual(Y.encodeStateVector(writer.doc));
  }, 30_000);
});
