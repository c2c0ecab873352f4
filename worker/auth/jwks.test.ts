// The remote JWKS as a hostile or broken identity provider serves it: a body past the 256 KiB cap
// is abandoned while it streams (not read whole first), concurrent first requests share one
// fetch, and a key set with no usable key is not cached as good.
import { createServer, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  JWT_TEST_AUDIENCE,
  JWT_TEST_ISSUER,
  idpToken,
  testKey,
  type TestKey,
} from "../../test/helpers/idp";
import { JWKS_MAX_BYTES, resolveJwtOptions } from "./config";
import { JwksUnavailable, verifyIdpToken } from "./jwks";

/** What each path serves; `hits` counts requests per path, `sent` bytes written per path. */
const routes = new Map<string, (res: ServerResponse) => void>();
const hits = new Map<string, number>();
const sent = new Map<string, number>();
let base = "";
const server = createServer((req, res) => {
  const path = req.url ?? "";
  hits.set(path, (hits.get(path) ?? 0) + 1);
  const route = routes.get(path);
  if (!route) return void res.writeHead(404).end();
  route(res);
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

let counter = 0;
const path = (name: string) => `/${name}-${counter++}.json`;
/** The refetch interval of these tests: short, so a retry after a failure is seen. */
const MIN_REFRESH_MS = 200;
const config = (p: string) =>
  resolveJwtOptions({
    jwksUrl: `${base}${p}`,
    issuer: JWT_TEST_ISSUER,
    audience: JWT_TEST_AUDIENCE,
    minRefreshMs: MIN_REFRESH_MS,
  });
const token = (key: TestKey) => idpToken(key, { sub: "u1", doc: "d1", role: "write" });
const json =
  (body: unknown, delayMs = 0) =>
  (res: ServerResponse) =>
    setTimeout(
      () => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body)),
      delayMs,
    );

describe("the remote JWKS", () => {
  it("abandons an endless body past the cap while it streams", async () => {
    const p = path("endless");
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    routes.set(p, (res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      let written = 0;
      const pump = () => {
        // Endless, unless the client goes away; at most 64 MiB so a broken reader still ends.
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          sent.set(p, written);
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const key = await testKey("RS256");
    const started = Date.now();
    await expect(verifyIdpToken(await token(key), config(p), { docId: "d1" })).rejects.toThrow(
      /larger than/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    // Read up to the cap, not the whole body (a few socket buffers beyond it at most).
    expect(sent.get(p)!).toBeLessThan(JWKS_MAX_BYTES + 8 * 1024 * 1024);
  });

  it("fetches once for 30 concurrent first requests", async () => {
    const p = path("shared");
    const key = await testKey("ES256");
    routes.set(p, json({ keys: [key.jwk] }, 200));
    const cfg = config(p);
    const results = await Promise.all(
      Array.from({ length: 30 }, async () =>
        verifyIdpToken(await token(key), cfg, { docId: "d1" }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(hits.get(p)).toBe(1);
  });

  it("does not cache a key set without usable keys as good", async () => {
    const p = path("unusable");
    const key = await testKey("RS256");
    // An encryption key and an HMAC key: nothing a token of a configured algorithm verifies with.
    routes.set(
      p,
      json({
        keys: [
          { ...key.jwk, use: "enc" },
          { kty: "oct", k: "c2VjcmV0" },
        ],
      }),
    );
    const cfg = config(p);
    // A transient refusal (503) of the keys, not a 401 that tells the client its token is bad.
    await expect(verifyIdpToken(await token(key), cfg, { docId: "d1" })).rejects.toBeInstanceOf(
      JwksUnavailable,
    );
    // The IdP fixes its set: the first request after the retry interval gets it.
    routes.set(p, json({ keys: [key.jwk] }));
    await new Promise((r) => setTimeout(r, MIN_REFRESH_MS + 50));
    const later = await verifyIdpToken(await token(key), cfg, { docId: "d1" });
    expect(later.ok, JSON.stringify(later)).toBe(true);
  });
});
