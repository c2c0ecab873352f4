// Global setup of the node project: two real servers (wrangler dev + workerd, as `npm start` runs
// them) shared by the test files that only read and write their own documents, so a full run
// boots each once instead of once per file. Files that restart, SIGKILL, measure or reconfigure
// a server start their own (test/helpers/server.ts).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { TEST_AUTH_SECRET } from "./auth-secret";
import { privatePort, startServer } from "./server";
import type { SharedServers } from "./shared-servers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export default async function setup(project: TestProject) {
  // The demo page's bundle, built once as `npm start` builds it before serving public/.
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--demo"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`demo build failed: ${build.stderr}`);
  const [open, auth] = await Promise.all([
    startServer(),
    startServer({ vars: { AUTH_SECRET: TEST_AUTH_SECRET }, port: privatePort }),
  ]);
  const about = (s: typeof open) => ({ url: s.url, wsUrl: s.wsUrl, port: s.port });
  project.provide("sharedServers", {
    open: about(open),
    auth: about(auth),
  } satisfies SharedServers);
  return async () => {
    await Promise.all([open.dispose(), auth.dispose()]);
  };
}
