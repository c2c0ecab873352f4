// Routing: every known path answers a method it does not serve with 405, a JSON error and an
// `Allow` header listing what it does serve; unknown paths stay 404; served methods are untouched.
import { describe, expect, it } from "vitest";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

const doc = uniqueDocId("routes");
/** Every known path and the methods it serves (HEAD comes with GET). */
const ROUTES: [path: string, allow: string][] = [
  ["/health", "GET, HEAD"],
  [`/sync/${doc}`, "GET, HEAD"],
  [`/sync/org/42/${doc}`, "GET, HEAD"],
  [`/sync?doc=${doc}`, "GET, HEAD"],
  ["/v1/docs", "GET, HEAD"],
  [`/v1/docs/${doc}`, "GET, HEAD, DELETE"],
  [`/v1/docs/${doc}/update`, "GET, HEAD, POST"],
  [`/v1/docs/${doc}/json`, "GET, HEAD"],
  [`/v1/docs/${doc}/sync`, "POST"],
  ["/v1/sync", "POST"],
  ["/v1/openapi.json", "GET, HEAD"],
  [`/v1/docs/${doc}/stats`, "GET, HEAD"],
  [`/v1/docs/${doc}/compact`, "POST"],
  [`/v1/docs/${doc}/flush`, "POST"],
  ["/v1/metrics", "GET, HEAD"],
  ["/admin", "GET, HEAD"],
  ["/admin/app.js", "GET, HEAD"],
];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"];

describe("methods a route does not serve", () => {
  it.each(ROUTES)("%s answers every other method with 405 and Allow: %s", async (path, allow) => {
    const served = allow.split(", ");
    for (const method of METHODS.filter((m) => !served.includes(m))) {
      const res = await fetchWorker(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("Allow"), `${method} ${path}`).toBe(allow);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("method_not_allowed");
      expect(body.error.message).toContain(method);
    }
  });

  it("leaves served methods, HEAD and unknown paths as they were", async () => {
    expect((await fetchWorker("/health")).status).toBe(200);
    expect((await fetchWorker("/health", { method: "HEAD" })).status).toBe(200);
    expect((await fetchWorker(`/v1/docs/${doc}/json`, { method: "HEAD" })).status).toBe(404); // no such document
    expect((await fetchWorker(`/sync/${doc}`)).status).toBe(426);
    for (const method of ["GET", "PUT"]) {
      const res = await fetchWorker("/v1/nothing-here", { method });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
    // /sync without a name (in the path or ?doc=) is a bad name, before the upgrade is asked for.
    for (const path of ["/sync", "/sync/"]) {
      const res = await fetchWorker(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_doc_id");
    }
  });
});
