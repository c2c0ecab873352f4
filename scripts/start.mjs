#!/usr/bin/env node
// `npm start [-- wrangler dev args]`: applies D1 migrations to the local database (in the
// same --persist-to directory wrangler dev will use), then runs `wrangler dev` in local,
// open-access mode. Passing `--var AUTH_SECRET:<secret>` turns token auth on.
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const args = process.argv.slice(2);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
// wrangler dev records a trace of every invocation (each WebSocket message is one) into a local
// SQLite store and writes them 20,480 at a time, synchronously, on the thread that runs the
// Worker: after a burst of messages the whole server stops answering for seconds (4.7–6.2 s
// measured after a 259,778-message replay). Off unless the developer asks for it.
env.X_LOCAL_OBSERVABILITY ??= "false";

function persistArgs(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--persist-to") out.push("--persist-to", argv[i + 1]);
    else if (argv[i].startsWith("--persist-to=")) out.push(argv[i]);
  }
  return out;
}

const migrate = spawnSync(
  process.execPath,
  [wrangler, "d1", "migrations", "apply", "DB", "--local", ...persistArgs(args)],
  { cwd: root, env: { ...env, CI: "true" }, stdio: ["ignore", "inherit", "inherit"] },
);
if (migrate.status !== 0) {
  console.error("edgesync: applying local D1 migrations failed");
  process.exit(migrate.status ?? 1);
}

// Open access is a local-development switch only: it is not in wrangler.toml, so a deployed
// Worker without AUTH_SECRET fails closed.
// The demo page is served here only: wrangler.toml has no [assets], so deploys leave it out.
const dev = spawn(process.execPath, [wrangler, "dev", "--var", "DEV_OPEN_ACCESS:true", "--assets", "public", ...args], {
  cwd: root,
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
