// A delete racing a D1 flush. A flush reads D1 (the generation it replaces), then writes the next
// generation; a delete removes D1's rows, then wipes DO storage. A flush that started while the
// delete's D1 removal was under way (the persistence alarm, or persist-now) wrote its rows back
// after they were removed: the deleted document came back from D1 at its next load.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DocumentObject } from "../../durable-objects/document-object";
import { holdAt } from "../../durable-objects/faults";
import { d1Snapshot } from "../helpers/d1";
import { SyncedDoc, fetchWorker, stubFor, uniqueDocId } from "../helpers/workerd-socket";

const inObject = <T>(docId: string, run: (o: DocumentObject) => Promise<T>) =>
  runInDurableObject(stubFor(docId), run);

/** A document with content, replicated to D1 once. */
async function replicatedDoc(prefix: string): Promise<string> {
  const docId = uniqueDocId(prefix);
  const writer = await SyncedDoc.open(docId);
  writer.doc.getText("t").insert(0, "old content");
  await (await SyncedDoc.open(docId)).waitForText("old content");
  await inObject(docId, (o) => o.persistNow());
  expect((await d1Snapshot(docId)).doc).not.toBeNull();
  writer.doc.getText("t").insert(11, ", more");
  await (await SyncedDoc.open(docId)).waitForText("old content, more");
  return docId;
}

/**
 * The document is gone everywhere: D1 has no row, and loading it again (from DO storage, else D1,
 * as after an eviction) finds nothing.
 */
async function expectDeleted(docId: string): Promise<void> {
  const { doc, chunks } = await d1Snapshot(docId);
  expect(doc).toBeNull();
  expect(chunks).toEqual([]);
  expect((await fetchWorker(`/v1/docs/${docId}`)).status).toBe(404);
  // DO storage keeps no id (only the tombstone), so the object has nothing of it to report.
  await expect(inObject(docId, (o) => o.stats())).rejects.toThrow(/document id unknown/);
  const reader = await SyncedDoc.open(docId);
  await new Promise((r) => setTimeout(r, 100));
  expect(reader.doc.getText("t").toString()).toBe("");
}

describe("delete racing a D1 flush", () => {
  it("a flush started while the delete removes D1's rows does not write them back", async () => {
    const docId = await replicatedDoc("del-race");
    const deleteHeld = holdAt(docId, "d1-delete");
    const flushHeld = holdAt(docId, "d1-flush-write");
    try {
      const deleting = inObject(docId, (o) => o.destroy(docId));
      await deleteHeld.reached; // the delete waits for no flush, and is about to remove D1's rows
      const flushing = inObject(docId, (o) => o.persistNow());
      // Before the fix the flush read D1 and waited here to write; now it does not start at all.
      await Promise.race([flushHeld.reached, flushing]);
      deleteHeld.release();
      expect(await deleting).toEqual({ ok: true, deleted: true });
      flushHeld.release();
      await flushing;
      await expectDeleted(docId);
    } finally {
      deleteHeld.release();
      flushHeld.release();
    }
  });

  it("a flush in flight when the delete starts finishes first", async () => {
    const docId = await replicatedDoc("del-inflight");
    const flushHeld = holdAt(docId, "d1-flush-write");
    try {
      const flushing = inObject(docId, (o) => o.persistNow());
      await flushHeld.reached; // the flush read D1 and is about to write the next generation
      const deleting = inObject(docId, (o) => o.destroy(docId));
      await new Promise((r) => setTimeout(r, 50));
      flushHeld.release();
      await flushing;
      expect(await deleting).toEqual({ ok: true, deleted: true });
      await expectDeleted(docId);
    } finally {
      flushHeld.release();
    }
  });
});
