#!/usr/bin/env node
// `npm run token -- --doc <id|prefix*> --role read|write|admin [--ttl 1h] [--sub user] [--secret s]`
// prints an HS256 token. The secret comes from --secret, else $AUTH_SECRET, else .dev.vars.
// `node scripts/token.mjs …` works too: on Node < 22 it re-runs itself with the pinned Node 22.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureNode22 } from "./node22.mjs";

ensureNode22(import.meta.url);
// The minting module is TypeScript with extensionless relative imports (as the package's build
// and the Worker resolve them): bundle it in memory with esbuild, then import the result.
const { build } = await import("esbuild");
const bundled = await build({
  entryPoints: [fileURLToPath(new URL("../tokens/mint.ts", import.meta.url))],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "error",
});
const { createToken } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].contents).toString("base64")}`
);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    doc: { type: "string" },
    role: { type: "string", default: "write" },
    ttl: { type: "string", default: "1h" },
    sub: { type: "string" },
    secret: { type: "string" },
  },
});

function fail(message) {
  console.error(`token: ${message}`);
  process.exit(1);
}

/** "90", "90s", "15m", "1h", "7d" → seconds. */
function parseTtl(text) {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  if (!match) fail(`--ttl must look like 90, 90s, 15m, 1h or 7d (got ${text})`);
  return Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2]];
}

function secretFromDevVars() {
  try {
    const line = readFileSync(join(root, ".dev.vars"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("AUTH_SECRET="));
    return line
      ?.slice("AUTH_SECRET=".length)
      .trim()
      .replace(/^"(.*)"$/, "$1");
  } catch {
    return undefined;
  }
}

if (!values.doc) fail("--doc <document id or prefix*> is required");
const secret = values.secret ?? process.env.AUTH_SECRET ?? secretFromDevVars();
if (!secret) fail("no secret: pass --secret, set AUTH_SECRET, or put AUTH_SECRET=... in .dev.vars");
try {
  const options = { doc: values.doc, role: values.role, ttlSeconds: parseTtl(values.ttl) };
  if (values.sub) options.sub = values.sub;
  console.log(await createToken(secret, options));
} catch (err) {
  fail(err.message);
}
