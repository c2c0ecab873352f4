// What `wrangler deploy` would publish after `npm start` built the demo (a dry run, nothing
// uploaded): the Worker alone; and with `--assets public`, the demo without its TypeScript
// source or source maps. Read from wrangler's debug log, which lists the assets it reads and
// those .assetsignore leaves out.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "edgesync-deploy-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The asset files a dry-run deploy would upload, or null when it reads no assets directory. */
function dryRunAssets(extra: string[]): string[] | null {
  const run = spawnSync(
    process.execPath,
    ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", out, ...extra],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_LOG: "debug",
        CI: "true",
        NO_COLOR: "1",
      },
    },
  );
  expect(run.status, run.stderr).toBe(0);
  const log = `${run.stdout}\n${run.stderr}`.split("\n");
  const start = log.findIndex((line) => /Read \d+ files? from the assets directory/.test(line));
  if (start < 0) return null;
  const listed: string[] = [];
  for (const line of log.slice(start + 1)) {
    if (!line.startsWith("/")) break;
    listed.push(line.slice(1));
  }
  const ignored = new Set(
    log.flatMap((line) =>
      line.startsWith("Ignoring asset: ") ? [line.slice("Ignoring asset: ".length)] : [],
    ),
  );
  return listed
    .filter((file) => !ignored.has(file) && statSync(join(ROOT, "public", file)).isFile())
    .sort();
}

describe("deploy after npm start", () => {
  it("publishes no demo and no source maps unless asked, and the demo without sources when asked", () => {
    const build = spawnSync(process.execPath, ["scripts/build.mjs", "--demo"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(build.status, build.stderr).toBe(0);
    expect(statSync(join(ROOT, "public/build/demo.js.map")).size).toBeGreaterThan(0);

    expect(dryRunAssets([])).toBeNull();
    expect(dryRunAssets(["--assets", "public"])).toEqual([
      "build/demo.js",
      "index.html",
      "style.css",
      "sw.js",
    ]);
  });
});
