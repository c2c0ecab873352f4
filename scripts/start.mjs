#!/usr/bin/env node
// `npm start [-- wrangler dev args]`: applies D1 migrations to the local database (in the
// same --persist-to directory wrangler dev will use), then runs `wrangler dev` in local,
// open-access mode. Passing `--var AUTH_SECRET:<secret>` turns token auth on.
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNode22 } from "./node22.mjs";

ensureNode22(import.meta.url);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const args = process.argv.slice(2);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
// wrangler dev records a trace of every invocation (each WebSocket message is one) into a local
// SQLite store and writes them 20,480 at a time, synchronously, on the thread that runs the
// Worker: after a burst of messages the whole server stops answering for seconds (4.7–6.2 s
// measured after a 259,778-message replay). Off unless the developer asks for it.
env.X_LOCAL_OBSERVABILITY ??= "false";
// Miniflare downloads a sample `request.cf` object from workers.cloudflare.com at every start and
// prints a stack trace when offline. The Worker reads nothing from `request.cf`; the built-in
// placeholder serves. CLOUDFLARE_CF_FETCH_ENABLED=true npm start fetches it again.
env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

function persistArgs(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--persist-to") out.push("--persist-to", argv[i + 1]);
    else if (argv[i].startsWith("--persist-to=")) out.push(argv[i]);
  }
  return out;
}

// Wrangler asks before applying migrations and answers itself outside a terminal (CI=true);
// its prompt, banner and tables say nothing a developer must act on, so they are printed only
// if applying fails. What was applied is summed up in one line.
const migrate = spawnSync(
  process.execPath,
  [wrangler, "d1", "migrations", "apply", "DB", "--local", ...persistArgs(args)],
  { cwd: root, env: { ...env, CI: "true" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
);
if (migrate.status !== 0) {
  process.stdout.write(migrate.stdout ?? "");
  process.stderr.write(migrate.stderr ?? "");
  console.error("edgesync: applying local D1 migrations failed");
  process.exit(migrate.status ?? 1);
}
const applied = [
  ...new Set([...(migrate.stdout ?? "").matchAll(/(\S+\.sql)\s*│\s*✅/g)].map((m) => m[1])),
];
console.log(
  `edgesync: local D1 ${applied.length ? `migrated (${applied.join(", ")})` : "up to date"}`,
);

// Open access is a local-development switch only: it is not in wrangler.toml, so a deployed
// Worker without AUTH_SECRET fails closed.
// The demo page is served here only: wrangler.toml has no [assets], so deploys leave it out.
const dev = spawn(
  process.execPath,
  [wrangler, "dev", "--var", "DEV_OPEN_ACCESS:true", "--assets", "public", ...args],
  {
    cwd: root,
    env,
    stdio: "inherit",
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
