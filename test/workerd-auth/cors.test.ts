// CORS on the REST API with an ALLOWED_ORIGINS list (vitest.config.ts): preflights answered for
// listed origins, every response to them readable (errors too), refused origins get a 403 and
// no allow header, and credentials are never allowed.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

const ALLOWED = "http://localhost:5173";
const REFUSED = "https://evil.example.net";
const bearer = async (doc: string, role: "read" | "write") =>
  `Bearer ${await createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 600 })}`;
const preflight = (path: string, origin: string, method = "POST") =>
  fetchWorker(path, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": "authorization,content-type",
    },
  });
const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code;

function expectReadableBy(res: Response, origin: string) {
  expect(res.headers.get("Access-Control-Allow-Origin")).toBe(origin);
  expect(res.headers.get("Vary")).toMatch(/\bOrigin\b/);
  expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
}

describe("CORS with an origin list", () => {
  it("answers a listed origin's preflight with 204, the methods, Authorization and Content-Type", async () => {
    const res = await preflight(`/v1/docs/${uniqueDocId()}/sync`, ALLOWED);
    expect(res.status).toBe(204);
    expectReadableBy(res, ALLOWED);
    const methods = res.headers.get("Access-Control-Allow-Methods")!.split(",");
    expect(methods).toEqual(expect.arrayContaining(["GET", "POST", "DELETE"]));
    const headers = res.headers.get("Access-Control-Allow-Headers")!.toLowerCase().split(",");
    expect(headers).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(Number(res.headers.get("Access-Control-Max-Age"))).toBeGreaterThan(0);
  });

  it("lets a listed origin read successes and errors (401, 403, 404, 413, 415)", async () => {
    const id = uniqueDocId("cors");
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "hi");
    const post = (headers: Record<string, string>, body: BodyInit) =>
      fetchWorker(`/v1/docs/${id}/update`, {
        method: "POST",
        headers: { Origin: ALLOWED, ...headers },
        body,
      });
    const written = await post(
      { Authorization: await bearer(id, "write") },
      Y.encodeStateAsUpdate(doc),
    );
    expect(written.status).toBe(200);
    expectReadableBy(written, ALLOWED);

    const cases: [Promise<Response>, number, string][] = [
      [fetchWorker(`/v1/docs/${id}/json`, { headers: { Origin: ALLOWED } }), 401, "missing_token"],
      [
        post({ Authorization: await bearer(id, "read") }, Y.encodeStateAsUpdate(doc)),
        403,
        "forbidden",
      ],
      [
        fetchWorker(`/v1/docs/${uniqueDocId()}/json`, {
          headers: { Origin: ALLOWED, Authorization: await bearer("*", "read") },
        }),
        404,
        "document_not_found",
      ],
      [
        post({ Authorization: await bearer(id, "write") }, new Uint8Array(4 * 1024 * 1024 + 1)),
        413,
        "payload_too_large",
      ],
      [
        fetchWorker(`/v1/docs/${id}/sync`, {
          method: "POST",
          headers: {
            Origin: ALLOWED,
            Authorization: await bearer(id, "write"),
            "Content-Type": "text/plain",
          },
          body: JSON.stringify({ stateVector: "AA" }),
        }),
        415,
        "unsupported_media_type",
      ],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect([res.status, await errorCode(res)]).toEqual([status, code]);
      expectReadableBy(res, ALLOWED);
    }
  });

  it("refuses another origin with 403 and no allow header, preflight included", async () => {
    const id = uniqueDocId("cors");
    for (const res of [
      await preflight(`/v1/docs/${id}/sync`, REFUSED),
      await fetchWorker(`/v1/docs/${id}/json`, {
        headers: { Origin: REFUSED, Authorization: await bearer(id, "read") },
      }),
    ]) {
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe("origin_not_allowed");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("sends no allow header to a request without Origin (apps and servers need none)", async () => {
    const res = await fetchWorker(`/v1/docs/${uniqueDocId()}/json`);
    expect(res.status).toBe(401);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
