// How dist/server/index.js (edgesync/server) is built: shared by scripts/build.mjs and the example
// project's test setup (examples/embed-worker), so the example runs the package's real bundle.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * esbuild options. Everything the server imports from npm stays external: yjs, y-protocols and
 * lib0 are peers (one Yjs per app), hono, @hono/zod-openapi, zod and jose optional peers (an app
 * that mounts edgesync has Hono already; a client-only app installs none of them), and
 * `cloudflare:*` is the runtime's.
 */
export const SERVER_BUILD = {
  entryPoints: [join(root, "server/index.ts")],
  outfile: join(root, "dist/server/index.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: [
    "cloudflare:*",
    "yjs",
    "y-protocols",
    "y-protocols/*",
    "lib0",
    "lib0/*",
    "hono",
    "hono/*",
    "@hono/zod-openapi",
    "zod",
    "zod/*",
    "jose",
  ],
  sourcemap: true,
  logLevel: "warning",
};
