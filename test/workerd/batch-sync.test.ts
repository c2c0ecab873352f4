// Batch HTTP sync (POST /v1/sync) with open access: each document gets its own result, a bad
// document is refused alone and creates nothing, and the count and byte limits refuse the whole
// request before any document is touched.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { syncManyOverHttp } from "../../client/http-sync-many";
import { decodeBase64url, encodeBase64url } from "../../protocol/base64url";
import { DEFAULT_BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_DOCS } from "../../worker/batch-sync";
import { countingBody } from "../helpers/streams";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

type Result = { id: string; status: number; update?: string; error?: { code: string } };

const workerFetch = ((input: string, init?: RequestInit) =>
  fetchWorker(new URL(input).pathname, init)) as typeof fetch;

const batch = (body: unknown, headers: Record<string, string> = {}) =>
  fetchWorker("/v1/sync", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" || body instanceof ReadableStream ? body : JSON.stringify(body),
  });

const textDoc = (text: string) => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return doc;
};
const entry = (id: string, doc: Y.Doc) => ({
  id,
  stateVector: encodeBase64url(Y.encodeStateVector(doc)),
  update: encodeBase64url(Y.encodeStateAsUpdate(doc)),
});
const jsonOf = async (id: string) => {
  const res = await fetchWorker(`/v1/docs/${id}/json`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code;

describe("POST /v1/sync", () => {
  it("syncs each document both ways and refuses a bad document alone, creating nothing for it", async () => {
    const ids = Array.from({ length: 6 }, () => uniqueDocId("batch"));
    for (const id of ids.slice(0, 3)) {
      const res = await fetchWorker(`/v1/docs/${id}/update`, {
        method: "POST",
        body: Y.encodeStateAsUpdate(textDoc(`remote ${id}`)),
      });
      expect(res.status).toBe(200);
    }
    const docs = ids.map((id) => ({ id, doc: textDoc(`local ${id}`) }));
    const good = docs.slice(0, 4).map(({ id, doc }) => entry(id, doc));
    const res = await batch({
      documents: [
        ...good,
        { ...entry(ids[4]!, docs[4]!.doc), update: encodeBase64url(new Uint8Array([1, 2, 3])) },
        { ...entry(ids[5]!, docs[5]!.doc), stateVector: "***" },
        { id: "bad\u0000id", stateVector: "AA" },
      ],
    });
    expect(res.status).toBe(200);
    const results = ((await res.json()) as { results: Result[] }).results;
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(results).toHaveLength(7);
    expect(byId.get(ids[4]!)).toMatchObject({ status: 400, error: { code: "invalid_update" } });
    expect(byId.get(ids[5]!)).toMatchObject({
      status: 400,
      error: { code: "invalid_state_vector" },
    });
    expect(byId.get("bad\u0000id")).toMatchObject({
      status: 400,
      error: { code: "invalid_doc_id" },
    });
    for (const [i, id] of ids.slice(0, 4).entries()) {
      const result = byId.get(id)!;
      expect(result.status).toBe(200);
      // What the client lacked: the remote text, for the three documents that had one.
      const lacked = new Y.Doc();
      Y.applyUpdate(lacked, decodeBase64url(result.update!));
      expect(lacked.getText("t").toString()).toBe(i < 3 ? `remote ${id}` : "");
      const stored = (await jsonOf(id)).body.t as string;
      expect(stored).toContain(`local ${id}`);
      if (i < 3) expect(stored).toContain(`remote ${id}`);
    }
    expect((await jsonOf(ids[4]!)).status).toBe(404);
    expect((await jsonOf(ids[5]!)).status).toBe(404);
  });

  it("applies each answer to its Y.Doc through syncManyOverHttp, and reports each failure", async () => {
    const ids = [uniqueDocId("many"), uniqueDocId("many")];
    await fetchWorker(`/v1/docs/${ids[0]}/update`, {
      method: "POST",
      body: Y.encodeStateAsUpdate(textDoc("from the server")),
    });
    const deleted = uniqueDocId("many");
    const old = textDoc("old incarnation");
    const first = await syncManyOverHttp({
      url: "http://edgesync.test",
      docs: [{ id: deleted, doc: old }],
      fetch: workerFetch,
    });
    expect(first[0]!.ok).toBe(true);
    expect((await fetchWorker(`/v1/docs/${deleted}`, { method: "DELETE" })).status).toBe(200);
    const docs = ids.map((id) => ({ id, doc: new Y.Doc() }));
    const results = await syncManyOverHttp({
      url: "http://edgesync.test",
      docs: [
        ...docs,
        { id: deleted, doc: old, epoch: (first[0] as { epoch: string }).epoch },
        { id: "no\u0007bell", doc: new Y.Doc() },
      ],
      fetch: workerFetch,
    });
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      [ids[0], true],
      [ids[1], true],
      [deleted, false],
      ["no\u0007bell", false],
    ]);
    expect(docs[0]!.doc.getText("t").toString()).toBe("from the server");
    expect(results[2]).toMatchObject({ status: 409, error: { code: "deleted" } });
    expect(results[3]).toMatchObject({ status: 400, error: { code: "closed" } });
  });

  it("splits syncManyOverHttp into requests within its limits, and reports a refused request per document", async () => {
    const sent: number[] = [];
    const counting = (async (input: string, init?: RequestInit) => {
      sent.push((JSON.parse(init!.body as string) as { documents: unknown[] }).documents.length);
      return workerFetch(input, init);
    }) as typeof fetch;
    const docs = Array.from({ length: 5 }, (_, i) => ({
      id: uniqueDocId("split"),
      doc: textDoc(`split ${i}`),
    }));
    const split = await syncManyOverHttp({
      url: "http://edgesync.test",
      docs,
      maxDocsPerRequest: 2,
      fetch: counting,
    });
    expect(sent).toEqual([2, 2, 1]);
    expect(split.every((r) => r.ok)).toBe(true);
    for (const { id } of docs) expect((await jsonOf(id)).status).toBe(200);
    const many = Array.from({ length: DEFAULT_BATCH_MAX_DOCS + 1 }, () => ({
      id: uniqueDocId("over"),
      doc: textDoc("x"),
    }));
    const refused = await syncManyOverHttp({
      url: "http://edgesync.test",
      docs: many,
      maxDocsPerRequest: DEFAULT_BATCH_MAX_DOCS + 1,
      fetch: workerFetch,
    });
    expect(new Set(refused.map((r) => (r.ok ? "ok" : `${r.status} ${r.error.message}`)))).toEqual(
      new Set([
        `413 HTTP 413 too_many_documents: ${DEFAULT_BATCH_MAX_DOCS + 1} documents in one request; at most ${DEFAULT_BATCH_MAX_DOCS} (BATCH_SYNC_MAX_DOCS)`,
      ]),
    );
    expect((await jsonOf(many[0]!.id)).status).toBe(404);
  });

  it(`refuses more than ${DEFAULT_BATCH_MAX_DOCS} documents with 413 too_many_documents, storing nothing`, async () => {
    const ids = Array.from({ length: DEFAULT_BATCH_MAX_DOCS + 1 }, () => uniqueDocId("count"));
    const res = await batch({ documents: ids.map((id) => entry(id, textDoc("x"))) });
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("too_many_documents");
    for (const id of [ids[0]!, ids[100]!, ids[DEFAULT_BATCH_MAX_DOCS]!])
      expect((await jsonOf(id)).status).toBe(404);
  });

  it("refuses a body over BATCH_SYNC_MAX_BYTES with 413 while it streams, storing nothing", async () => {
    const id = uniqueDocId("bytes");
    const head = `{"documents":[${JSON.stringify(entry(id, textDoc("x")))},{"id":"y","stateVector":"AA","update":"`;
    const body = countingBody(4 * DEFAULT_BATCH_MAX_BYTES, head);
    const res = await batch(body.stream);
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("payload_too_large");
    await new Promise((r) => setTimeout(r, 50));
    expect(body.pulled()).toBeLessThan(2 * DEFAULT_BATCH_MAX_BYTES);
    expect(body.cancelled()).toBe(true);
    const declared = await fetchWorker("/v1/sync", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Content-Length": String(DEFAULT_BATCH_MAX_BYTES + 1),
      },
      body: head + "A".repeat(DEFAULT_BATCH_MAX_BYTES + 1 - head.length),
    });
    expect(declared.status).toBe(413);
    expect((await jsonOf(id)).status).toBe(404);
  });

  it("refuses a malformed request whole: not JSON, wrong shape, empty, a document twice, no JSON type", async () => {
    const id = uniqueDocId("shape");
    const one = entry(id, textDoc("x"));
    for (const [body, code] of [
      ["{", "invalid_request"],
      [{ docs: [one] }, "invalid_request"],
      [{ documents: [] }, "invalid_request"],
      [{ documents: [one, { ...one, stateVector: "AA" }] }, "invalid_request"],
      [{ documents: [one, { id: "z" }] }, "invalid_request"],
    ] as const) {
      const res = await batch(body);
      expect([JSON.stringify(body).slice(0, 40), res.status]).toEqual([
        JSON.stringify(body).slice(0, 40),
        400,
      ]);
      expect(await errorCode(res)).toBe(code);
    }
    const plain = await batch({ documents: [one] }, { "Content-Type": "text/plain" });
    expect(plain.status).toBe(415);
    expect((await jsonOf(id)).status).toBe(404);
  });
});
