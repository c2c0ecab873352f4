// Methods a route does not serve, sent over real HTTP to the real server (node:http sends any
// method token): 405 with a JSON error and `Allow`, never a plain-text error from the Worker.
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { sharedServer } from "../helpers/shared-servers";
import { uniqueDocId } from "../helpers/providers";

const server = sharedServer("open");

function send(
  method: string,
  path: string,
): Promise<{ status: number; allow: string | undefined; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          allow: res.headers.allow,
          type: res.headers["content-type"],
          body,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("methods over real HTTP", () => {
  it.each([
    ["TRACE", "/v1/docs/DOC/json", "GET, HEAD"],
    ["PROPFIND", "/v1/docs/DOC", "GET, HEAD, DELETE"],
    ["PUT", "/v1/docs/DOC/update", "GET, HEAD, POST"],
    ["GET", "/v1/docs/DOC/sync", "POST"],
    ["POST", "/sync/DOC", "GET, HEAD"],
    ["DELETE", "/health", "GET, HEAD"],
  ])("%s %s → 405, Allow: %s", async (method, path, allow) => {
    const res = await send(method, path.replace("DOC", uniqueDocId("methods")));
    expect(res.status).toBe(405);
    expect(res.allow).toBe(allow);
    expect(res.type).toContain("application/json");
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe(
      "method_not_allowed",
    );
  });

  it("an unknown path stays a JSON 404 whatever the method", async () => {
    for (const method of ["TRACE", "PROPFIND", "GET"]) {
      const res = await send(method, "/v1/nothing-here");
      expect(res.status).toBe(404);
      expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});
