#!/usr/bin/env node
// `npm run build`: the client SDK, the token helper and the server package (edgesync/server) as
// ESM (dist/) with declarations that resolve under Bundler, Node16 and NodeNext, and the demo
// page's bundle (public/build/demo.js).
// `--demo` builds only the demo bundle (fast; run by `npm start` so the page at / works on a
// fresh clone); `--sdk` only the package (run by `npm pack` / `npm publish` as `prepack`).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { SERVER_BUILD } from "./server-build.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv.includes("--demo")
  ? "demo"
  : process.argv.includes("--sdk")
    ? "sdk"
    : null;

// The demo page bundles everything (yjs included): it is served as a static asset.
if (only !== "sdk")
  await build({
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

// The SDK keeps yjs, y-protocols and lib0 external (peer dependencies): an app must share one
// copy of Yjs (two copies break instanceof checks; a store then reloads an empty document).
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
// edgesync/tokens: createToken() for application backends (Node >= 18 or Workers); WebCrypto
// only, no dependencies.
await build({
  entryPoints: [join(root, "tokens/mint.ts")],
  outfile: join(root, "dist/tokens/mint.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  logLevel: "warning",
});
// edgesync/server: the Worker's routes and the Durable Object class, for a Worker of your own.
await build(SERVER_BUILD);
// Both declaration builds at once (each is mostly TypeScript parsing the same dependencies).
const failed = (
  await Promise.all(["client/tsconfig.build.json", "server/tsconfig.build.json"].map(tsc))
).find((status) => status !== 0);
if (failed !== undefined) process.exit(failed ?? 1);
addJsExtensions(join(root, "dist"));

/** Runs `tsc -p project`; resolves with its exit status. */
function tsc(project) {
  const child = spawn(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, project)],
    { stdio: "inherit" },
  );
  return new Promise((resolve) => child.on("close", resolve));
}

/**
 * Node16/NodeNext resolve an ES module's relative imports only with their file extension
 * (TS2834 otherwise, or types silently `any` under skipLibCheck). Our sources import
 * extensionless, as bundlers allow, so the emitted declarations get `.js` / `/index.js` here;
 * a specifier that matches no emitted file fails the build.
 */
function addJsExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) addJsExtensions(path);
    if (!entry.name.endsWith(".d.ts")) continue;
    const text = readFileSync(path, "utf8");
    const fixed = text.replace(
      /(\bfrom\s*|\bimport\s*\(\s*)(["'])(\.{1,2}\/[^"']*)\2/g,
      (_, head, quote, spec) => {
        if (spec.endsWith(".js")) return `${head}${quote}${spec}${quote}`;
        const target = join(dirname(path), spec);
        const resolved = existsSync(`${target}.d.ts`)
          ? `${spec}.js`
          : existsSync(join(target, "index.d.ts"))
            ? `${spec}/index.js`
            : null;
        if (!resolved)
          throw new Error(`build: ${path} imports ${spec}, which has no emitted declaration`);
        return `${head}${quote}${resolved}${quote}`;
      },
    );
    if (fixed !== text) writeFileSync(path, fixed);
  }
}
