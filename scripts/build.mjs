#!/usr/bin/env node
// `npm run build`: the client SDK as ESM (dist/client/index.js) with declarations, and the demo
// page's bundle (public/build/demo.js). `--demo` builds only the demo bundle (fast; run by
// `npm start` so the page at / works on a fresh clone); `--sdk` only the SDK.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv.includes("--demo") ? "demo" : process.argv.includes("--sdk") ? "sdk" : null;

// The demo page bundles everything (yjs included): it is served as a static asset.
if (only !== "sdk") await build({
  entryPoints: [join(root, "public/src/demo.ts")],
  outfile: join(root, "public/build/demo.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
if (only === "demo") process.exit(0);

// The SDK keeps yjs, y-protocols and lib0 external: an app must share one copy of Yjs
// (two copies break instanceof checks and Yjs warns about it).
rmSync(join(root, "dist"), { recursive: true, force: true });
await build({
  entryPoints: [join(root, "client/index.ts")],
  outfile: join(root, "dist/client/index.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["yjs", "y-protocols", "y-protocols/*", "lib0", "lib0/*"],
  sourcemap: true,
  logLevel: "warning",
});
const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "client/tsconfig.build.json")], {
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// edgesync/tokens: createToken() for application backends (Node ≥ 18 or Workers); hono
// (a runtime dependency) stays external.
await build({
  entryPoints: [join(root, "worker/tokens.ts")],
  outfile: join(root, "dist/tokens.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["hono", "hono/*"],
  logLevel: "warning",
});
const tokenTypes = spawnSync(
  process.execPath,
  [
    join(root, "node_modules/typescript/bin/tsc"),
    ...["--declaration", "--emitDeclarationOnly", "--skipLibCheck", "--strict", "--types", "node"],
    ...["--target", "ES2022", "--module", "ES2022", "--moduleResolution", "bundler", "--outDir", join(root, "dist")],
    join(root, "worker/tokens.ts"),
  ],
  { stdio: "inherit" },
);
if (tokenTypes.status !== 0) process.exit(tokenTypes.status ?? 1);
