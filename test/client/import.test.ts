// `edgesync/client` — the built package entry (dist/) — imports and constructs in a plain
// Node process with no DOM globals, as in React Native: nothing touches window, document or
// indexedDB at import or construction.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

beforeAll(() => {
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--sdk"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(build.status, build.stderr).toBe(0);
});

describe("edgesync/client package entry", () => {
  it("emits ESM and type declarations", () => {
    expect(existsSync(`${ROOT}/dist/client/index.js`)).toBe(true);
    expect(existsSync(`${ROOT}/dist/client/index.d.ts`)).toBe(true);
  });

  it("imports in Node without DOM globals", () => {
    const script = `
      const globals = ["window", "document", "indexedDB", "localStorage", "navigator.onLine"];
      const before = { window: typeof window, document: typeof document, indexedDB: typeof indexedDB };
      const m = await import("edgesync/client");
      const Y = await import("yjs");
      const store = new m.IndexedDBStore(); // must not look for indexedDB until used
      const p = new m.SyncProvider({ url: "ws://127.0.0.1:9/sync", docId: "x", doc: new Y.Doc(), store: new m.MemoryStore(), connect: false });
      await p.whenLoaded();
      await p.destroy();
      const failure = await store.load("x").then(() => "loaded", (e) => e.message);
      console.log(JSON.stringify({ before, exports: Object.keys(m).sort(), status: p.status, failure }));
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim());
    expect(result.before).toEqual({
      window: "undefined",
      document: "undefined",
      indexedDB: "undefined",
    });
    expect(result.exports).toEqual(
      expect.arrayContaining([
        "SyncProvider",
        "SyncClient",
        "IndexedDBStore",
        "KeyValueStore",
        "MemoryStore",
        "SyncError",
      ]),
    );
    expect(result.status).toBe("disconnected");
    expect(result.failure).toMatch(/IndexedDB is not available/);
  });

  it("edgesync/tokens mints tokens a Node backend can hand out (HS256, pinned)", () => {
    const script = `
      const { createToken } = await import("edgesync/tokens");
      const { verify } = await import("hono/jwt");
      const token = await createToken("backend-secret", { doc: "team:*", role: "write", ttlSeconds: 60, sub: "u1" });
      const claims = await verify(token, "backend-secret", "HS256");
      const header = JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString());
      console.log(JSON.stringify({ header, claims }));
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const { header, claims } = JSON.parse(run.stdout.trim());
    expect(header.alg).toBe("HS256");
    expect(claims).toMatchObject({ doc: "team:*", role: "write", sub: "u1" });
    expect(claims.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(50);
  });
});
