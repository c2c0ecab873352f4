// When a document comes into existence: a writer creates it (WebSocket or REST), a reader never
// does — a read-only view of a missing document stores nothing — and a write that races a read
// of a new document is applied, not refused.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { decodeBase64url, encodeBase64url } from "../../protocol/base64url";
import { createToken, type Role } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { SyncedDoc, fetchWorker, stubFor, uniqueDocId } from "../helpers/workerd-socket";

const token = (doc: string, role: Role) =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 600 });

/** Row counts of the document's Durable Object tables. */
const stored = (docId: string) =>
  runInDurableObject(stubFor(docId), (_o: DocumentObject, state) =>
    ["es_log", "es_snapshot", "es_meta"].map(
      (t) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`).one().n,
    ),
  );

const updateOf = (text: string) => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
};

describe("document creation", () => {
  it("lets a reader watch a missing document without creating it; the first writer creates it", async () => {
    const docId = uniqueDocId("view");
    const reader = await SyncedDoc.open(docId, `?token=${await token(docId, "read")}&ext=1`);
    expect(await stored(docId)).toEqual([0, 0, 0]);
    // Reads of a document that does not exist are 404, even while a reader watches it.
    const rest = await fetchWorker(`/v1/docs/${docId}`, {
      headers: { Authorization: `Bearer ${await token(docId, "read")}` },
    });
    expect(rest.status).toBe(404);
    const sync = await fetchWorker(`/v1/docs/${docId}/sync`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await token(docId, "read")}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ stateVector: encodeBase64url(Y.encodeStateVector(new Y.Doc())) }),
    });
    expect(sync.status).toBe(404);
    expect(await stored(docId)).toEqual([0, 0, 0]);

    const writer = await SyncedDoc.open(docId, `?token=${await token(docId, "write")}&ext=1`);
    writer.doc.getText("t").insert(0, "created by the writer");
    await reader.waitForText("created by the writer");
    const [logRows, , metaRows] = await stored(docId);
    expect(logRows).toBe(1);
    expect(metaRows).toBeGreaterThan(0);
    const info = await fetchWorker(`/v1/docs/${docId}`, {
      headers: { Authorization: `Bearer ${await token(docId, "read")}` },
    });
    expect(info.status).toBe(200);
  });

  it("applies a write that races a read of a new document", async () => {
    const auth = (doc: string, role: Role) =>
      token(doc, role).then((t) => ({ Authorization: `Bearer ${t}` }));
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const docId = uniqueDocId(`race${i}`);
        const [read, write] = await Promise.all([auth(docId, "read"), auth(docId, "write")]);
        const [get, post] = await Promise.all([
          fetchWorker(`/v1/docs/${docId}/json`, { headers: read }),
          fetchWorker(`/v1/docs/${docId}/update`, {
            method: "POST",
            headers: { ...write, "Content-Type": "application/octet-stream" },
            body: updateOf(`race ${i}`),
          }),
        ]);
        const posted = (await post.json()) as { stateVector?: string };
        return { get: get.status, post: post.status, sv: posted.stateVector };
      }),
    );
    expect(results.map((r) => r.post)).toEqual(results.map(() => 200));
    // The read either ran first (404) or saw the write (200): never an error.
    for (const r of results) expect([200, 404]).toContain(r.get);
    for (const r of results) expect(decodeBase64url(r.sv!).length).toBeGreaterThan(1);
  });
});
