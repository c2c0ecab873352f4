#!/usr/bin/env node
// `npm run build`: the client SDK, the token helper and the server package (edgesync/server) as
// ESM (dist/) with declarations that resolve under Bundler, Node16 and NodeNext, and the demo
// page's bundle (public/build/demo.js).
// `--demo` builds only the demo bundle (fast; run by `npm start` so the page at / works on a
// fresh clone); `--sdk` only the package (run by `npm pack` / `npm publish` as `prepack`).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv.includes("--demo")
  ? "demo"
  : process.argv.includes("--sdk")
    ? "sdk"
    : null;

// The demo page bundles everything (yjs included): it is served as a static asset. Its files are
// written only when their bytes change: `wrangler dev --assets public` reloads on any write to
// public/, and a reload closes every socket of a running server with 1006 (measured: a rebuild
// with identical output dropped a connected client 0.8 s later).
if (only !== "sdk") {
  const demo = await build({
    entryPoints: [join(root, "public/src/demo.ts")],
    outfile: join(root, "public/build/demo.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: true,
    logLevel: "warning",
    write: false,
  });
  for (const file of demo.outputFiles) {
    if (existsSync(file.path) && readFileSync(file.path).equals(file.contents)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
  }
}
if (only === "demo") process.exit(0);

// Each entry of the package: ESM for any runtime (platform neutral), its npm imports external.
const entry = (source, outfile, external = []) =>
  build({
    entryPoints: [join(root, source)],
    outfile: join(root, outfile),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external,
    sourcemap: true,
    logLevel: "warning",
  });
/** An app's one copy of Yjs (two copies break instanceof checks; a store reloads an empty doc). */
const YJS = ["yjs", "y-protocols", "y-protocols/*", "lib0", "lib0/*"];

rmSync(join(root, "dist"), { recursive: true, force: true });
// The SDK keeps yjs, y-protocols and lib0 external (peer dependencies).
await entry("client/index.ts", "dist/client/index.js", YJS);
// edgesync/tokens: createToken() for application backends (Node >= 18 or Workers); WebCrypto
// only, no dependencies.
await entry("tokens/mint.ts", "dist/tokens/mint.js");
// edgesync/server: the Worker's routes and the Durable Object class, for a Worker of your own.
// Yjs as above; hono, @hono/zod-openapi, zod and jose are optional peers (an app that mounts
// edgesync has Hono already; a client-only app is given none of them); `cloudflare:*` is the
// runtime's.
await entry("server/index.ts", "dist/server/index.js", [
  ...YJS,
  "cloudflare:*",
  "hono",
  "hono/*",
  "@hono/zod-openapi",
  "zod",
  "zod/*",
  "jose",
]);
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
