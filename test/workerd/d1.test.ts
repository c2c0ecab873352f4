// D1 as the system of record: flushed rows decode to the live document, large snapshots
// round-trip through chunks, and a DO whose storage was wiped hydrates from D1.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { CloseCode } from "../../protocol/close-codes";
import { encodeSyncUpdate } from "../../protocol/messages";
import { d1Snapshot } from "../helpers/d1";
import { SyncedDoc, openSocket, stubFor, uniqueDocId } from "../helpers/workerd-socket";

const flush = (docId: string) =>
  runInDurableObject(stubFor(docId), (o: DocumentObject) => o.persistNow());

/** Seeded pseudo-random text (xorshift32), so the encoded document really is this large. */
function randomText(chars: number, seed = 42): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz ";
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < chars; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(alphabet[(x >>> 0) % alphabet.length]!);
  }
  return out.join("");
}

describe("D1 replication", () => {
  it("flushes rows that decode to the live document, replacing older generations", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "first");
    writer.doc.getMap("m").set("k", 1);
    await writer.socket.waitFor(() => false, 100).catch(() => undefined);
    await flush(docId);
    writer.doc.getText("t").insert(5, " second");
    await writer.socket.waitFor(() => false, 100).catch(() => undefined);
    await flush(docId);

    const { doc: row, chunks, bytes } = await d1Snapshot(docId);
    expect(row?.generation).toBe(2);
    expect(new Set(chunks.map((c) => c.generation))).toEqual(new Set([2]));
    const decoded = new Y.Doc();
    Y.applyUpdate(decoded, bytes);
    expect(decoded.getText("t").toString()).toBe("first second");
    expect(decoded.getMap("m").get("k")).toBe(1);
    expect(Y.encodeStateVector(decoded)).toEqual(Y.encodeStateVector(writer.doc));
    expect(row?.encoded_size).toBe(bytes.length);
  });

  it("round-trips a snapshot larger than 2 MB through chunks and hydrates a wiped DO from D1", async () => {
    const docId = uniqueDocId("big");
    const writer = await SyncedDoc.open(docId);
    const text = writer.doc.getText("t");
    for (let i = 0; i < 3; i++) text.insert(text.length, randomText(900_000, i + 1));
    // Every write applied before the flush (a fixed wait was too short on a loaded machine).
    await (await SyncedDoc.open(docId)).waitForText(text.toString(), "t", 30_000);
    await flush(docId);
    const { chunks, bytes } = await d1Snapshot(docId);
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(chunks.length).toBeGreaterThan(4);

    // Wipe the Durable Object's own storage; D1 is all that is left.
    await runInDurableObject(stubFor(docId), async (_o: DocumentObject, state) => {
      await state.storage.deleteAll();
    });
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    const fresh = await SyncedDoc.open(docId);
    await fresh.waitForText(text.toString(), "t", 20_000);
    const stats = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(stats.lastLoad?.source).toBe("d1");
    // And it carries on: new edits are stored and replicated as the next generation.
    fresh.doc.getText("t").insert(0, "after hydration ");
    await (await SyncedDoc.open(docId)).waitForText(fresh.doc.getText("t").toString(), "t", 20_000);
    await flush(docId);
    const again = await d1Snapshot(docId);
    expect(again.doc?.generation).toBe(2);
  }, 60_000);

  it("refuses a document that would grow past MAX_DOC_BYTES with 4413 and stays usable", async () => {
    const docId = uniqueDocId("full");
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "ok");
    await (await SyncedDoc.open(docId)).waitForText("ok");
    const before = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    // Three ~3 MB updates: the third would pass the 8 MB limit this project sets (vitest.config.ts).
    const big = await openSocket(`/sync/${docId}`);
    for (let i = 0; i < 3; i++) {
      const source = new Y.Doc();
      source.getText(`big${i}`).insert(0, randomText(3_000_000, i + 7));
      big.send(encodeSyncUpdate(Y.encodeStateAsUpdate(source)));
    }
    expect((await big.closed).code).toBe(CloseCode.DocumentTooLarge);
    const after = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(after.updateCount).toBe(before.updateCount + 2);
    expect(after.encodedBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    writer.doc.getText("t").insert(2, " still editable");
    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("ok still editable", "t", 20_000);
  }, 60_000);
});
