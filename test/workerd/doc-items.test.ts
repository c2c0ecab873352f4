// MAX_DOC_ITEMS (20,000 in this project, vitest.config.ts): a document's Yjs structs, which is
// what its memory grows with, are capped like its bytes — the write that could pass the cap is
// refused whole (4413 / 413), everything before it stays, and the document keeps loading.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { SqliteLog } from "../../durable-objects/storage/sqlite-log";
import { CloseCode } from "../../protocol/close-codes";
import { encodeSyncUpdate } from "../../protocol/messages";
import { fetchWorker, openSocket, stubFor, uniqueDocId } from "../helpers/workerd-socket";

const MAX = Number((env as unknown as Record<string, string>).MAX_DOC_ITEMS);

/** One update of `n` map entries with distinct keys from `from` on: `n` structs, ~15 B each. */
function entries(from: number, n: number): Uint8Array {
  const doc = new Y.Doc();
  const map = doc.getMap("m");
  doc.transact(() => {
    for (let i = from; i < from + n; i++) map.set(`k${i}`, i);
  });
  return Y.encodeStateAsUpdate(doc);
}

const keys = async (docId: string): Promise<number> => {
  const res = await fetchWorker(`/v1/docs/${docId}/json`);
  expect(res.status).toBe(200);
  return Object.keys(((await res.json()) as { m?: object }).m ?? {}).length;
};

const post = (docId: string, update: Uint8Array) =>
  fetchWorker(`/v1/docs/${docId}/update`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update,
  });

describe("struct cap (MAX_DOC_ITEMS)", () => {
  it("closes a socket with 4413 and answers REST with 413 once a write could pass it; keeps what came before", async () => {
    expect(MAX).toBe(20_000);
    const docId = uniqueDocId("items");
    const socket = await openSocket(`/sync/${docId}`);
    // Far under the byte cap (~15 B per entry): only the struct cap stops these.
    socket.send(encodeSyncUpdate(entries(0, 0.6 * MAX)));
    socket.send(encodeSyncUpdate(entries(0.6 * MAX, 0.3 * MAX)));
    socket.send(encodeSyncUpdate(entries(0.9 * MAX, 0.2 * MAX)));
    const closed = await socket.closed;
    expect(closed.code).toBe(CloseCode.DocumentTooLarge);
    expect(closed.reason).toMatch(/struct limit/);
    expect(await keys(docId)).toBe(0.9 * MAX);

    const refused = await post(docId, entries(0.9 * MAX, 0.2 * MAX));
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "document_too_large",
    );
    expect(await keys(docId)).toBe(0.9 * MAX);
    // What still fits is accepted, up to the cap itself.
    expect((await post(docId, entries(0.9 * MAX, 0.1 * MAX))).status).toBe(200);
    expect((await post(docId, entries(MAX, 1))).status).toBe(413);

    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    expect(await keys(docId)).toBe(MAX);
  }, 60_000);

  it("counts a document whose snapshot is not applied yet (cold load) exactly", async () => {
    const docId = uniqueDocId("items-cold");
    expect((await post(docId, entries(0, MAX))).status).toBe(200);
    await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.persistNow());
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    // The reload defers applying the snapshot; the first write must still see MAX structs.
    const socket = await openSocket(`/sync/${docId}`);
    socket.send(encodeSyncUpdate(entries(MAX, 1)));
    expect((await socket.closed).code).toBe(CloseCode.DocumentTooLarge);
    const stats = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(stats.lastLoad?.deferred).toBe(true);
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    expect((await post(docId, entries(MAX, 1))).status).toBe(413);
    expect(await keys(docId)).toBe(MAX);
  }, 60_000);

  it("loads a stored document already past the cap, and refuses only its growth", async () => {
    const docId = uniqueDocId("items-over");
    expect((await post(docId, entries(0, 10))).status).toBe(200);
    // As if stored before the limit was lowered: rows written past the room's check.
    await runInDurableObject(stubFor(docId), async (_o: DocumentObject, state) => {
      const log = new SqliteLog(state.storage.sql, (fn) => state.storage.transactionSync(fn));
      await log.load(
        docId,
        () => {},
        () => Promise.reject(new Error("not damaged")),
      );
      log.append(entries(10, MAX));
    });
    await evictDurableObject(stubFor(docId), { webSockets: "close" });
    expect(await keys(docId)).toBe(MAX + 10);
    const update = await fetchWorker(`/v1/docs/${docId}/update`);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await update.arrayBuffer()));
    expect(doc.getMap("m").size).toBe(MAX + 10);
    // Growth is refused; sending what it already has is not growth.
    expect((await post(docId, entries(MAX + 10, 1))).status).toBe(413);
    expect((await post(docId, Y.encodeStateAsUpdate(doc))).status).toBe(200);
    expect(await keys(docId)).toBe(MAX + 10);
  }, 60_000);
});
