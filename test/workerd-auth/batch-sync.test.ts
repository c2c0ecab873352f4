// Batch HTTP sync with tokens: the request needs a valid token before its body is read; each
// document is authorised by its own token or the request's, and one not covered fails alone.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { syncManyOverHttp } from "../../client/http-sync-many";
import { encodeBase64url } from "../../protocol/base64url";
import { createToken, type Role } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { countingBody } from "../helpers/streams";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

type Result = { id: string; status: number; error?: { code: string } };

const token = (doc: string, role: Role) =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 600 });
const workerFetch = ((input: string, init?: RequestInit) =>
  fetchWorker(new URL(input).pathname, init)) as typeof fetch;

function entry(id: string, text: string, extra: Record<string, string> = {}) {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return {
    id,
    stateVector: encodeBase64url(Y.encodeStateVector(doc)),
    update: encodeBase64url(Y.encodeStateAsUpdate(doc)),
    ...extra,
  };
}
async function batch(documents: unknown[], bearer?: string) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return fetchWorker("/v1/sync", { method: "POST", headers, body: JSON.stringify({ documents }) });
}
async function stored(id: string): Promise<unknown> {
  const res = await fetchWorker(`/v1/docs/${id}/json`, {
    headers: { Authorization: `Bearer ${await token(id, "read")}` },
  });
  return res.status === 200 ? ((await res.json()) as { t?: string }).t : res.status;
}

describe("POST /v1/sync with tokens", () => {
  it("authorises each document by the request's prefix token or its own; the rest fail alone", async () => {
    const team = uniqueDocId("team");
    const [a, b] = [`${team}:a`, `${team}:b`];
    const [other, own, badOwn, readOnly] = [
      uniqueDocId("other"),
      uniqueDocId("own"),
      uniqueDocId("bad"),
      uniqueDocId("ro"),
    ];
    const res = await batch(
      [
        entry(a, "A"),
        entry(b, "B"),
        entry(other, "not covered"),
        entry(own, "own token", { token: await token(own, "write") }),
        entry(badOwn, "bad token", { token: "not.a.token" }),
        entry(readOnly, "read only", { token: await token(readOnly, "read") }),
      ],
      await token(`${team}:*`, "write"),
    );
    expect(res.status).toBe(200);
    const results = ((await res.json()) as { results: Result[] }).results;
    const status = Object.fromEntries(results.map((r) => [r.id, [r.status, r.error?.code]]));
    expect(status).toEqual({
      [a]: [200, undefined],
      [b]: [200, undefined],
      [other]: [403, "forbidden"],
      [own]: [200, undefined],
      [badOwn]: [401, "invalid_token"],
      [readOnly]: [404, "document_not_found"], // a read token creates nothing
    });
    expect([await stored(a), await stored(b), await stored(own)]).toEqual(["A", "B", "own token"]);
    expect([await stored(other), await stored(badOwn), await stored(readOnly)]).toEqual([
      404, 404, 404,
    ]);
  });

  it("refuses a read token's new update for that document only", async () => {
    const [id, writable] = [uniqueDocId("ro"), uniqueDocId("rw")];
    const seeded = await batch([entry(id, "seed")], await token(id, "write"));
    expect(seeded.status).toBe(200);
    const res = await batch(
      [entry(id, "read-only edit", { token: await token(id, "read") }), entry(writable, "written")],
      await token(writable, "write"),
    );
    const results = ((await res.json()) as { results: Result[] }).results;
    expect(results.find((r) => r.id === id)).toMatchObject({
      status: 403,
      error: { code: "forbidden" },
    });
    expect([await stored(id), await stored(writable)]).toEqual(["seed", "written"]);
  });

  it("refuses the whole request without a valid token, before reading its body", async () => {
    const id = uniqueDocId("anon");
    const missing = await batch([entry(id, "x", { token: await token(id, "write") })]);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      "missing_token",
    );
    const expired = await createToken(TEST_AUTH_SECRET, {
      doc: id,
      role: "write",
      ttlSeconds: -60,
    });
    expect((await batch([entry(id, "x")], expired)).status).toBe(401);
    const body = countingBody(64 * 1024 * 1024, '{"documents":[');
    const unread = await fetchWorker("/v1/sync", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer x.y.z" },
      body: body.stream,
    });
    expect(unread.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(body.pulled()).toBeLessThan(1024 * 1024);
    expect(await stored(id)).toBe(404);
  });

  it("syncManyOverHttp sends per-document tokens, the first as the request's token", async () => {
    const ids = [uniqueDocId("sdk"), uniqueDocId("sdk"), uniqueDocId("sdk")];
    const docs = ids.map((id) => {
      const doc = new Y.Doc();
      doc.getText("t").insert(0, `text of ${id}`);
      return { id, doc, token: () => token(id, "write") };
    });
    docs[2]!.token = async () => token("someone-else", "write");
    const results = await syncManyOverHttp({ url: "http://x.test", docs, fetch: workerFetch });
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      [ids[0], true],
      [ids[1], true],
      [ids[2], false],
    ]);
    expect(results[2]).toMatchObject({ status: 403, error: { code: "closed" } });
    expect(await stored(ids[1]!)).toBe(`text of ${ids[1]}`);
  });
});
