// The repository's own scripts need Node >= 22 (wrangler 4, TypeScript sources run by Node),
// while the published package does not (package.json `engines` is the consumers' floor).
// `npm install` brings a pinned Node 22 (the `node` devDependency) that npm scripts put first
// on PATH; a script started directly with an older system Node re-runs itself with that one.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The oldest Node major the repository's scripts run on. */
export const SCRIPTS_NODE_MAJOR = 22;

/** Returns on Node >= 22; otherwise runs the calling script with the pinned Node and exits. */
export function ensureNode22(scriptUrl) {
  if (Number(process.versions.node.split(".")[0]) >= SCRIPTS_NODE_MAJOR) return;
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const pinned = join(
    root,
    "node_modules",
    "node",
    "bin",
    process.platform === "win32" ? "node.exe" : "node",
  );
  if (!existsSync(pinned)) {
    console.error(
      `edgesync: this script needs Node >= ${SCRIPTS_NODE_MAJOR} (this is ${process.version}); run npm install first, which brings a pinned Node 22`,
    );
    process.exit(1);
  }
  const run = spawnSync(pinned, [fileURLToPath(scriptUrl), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(run.status ?? 1);
}
