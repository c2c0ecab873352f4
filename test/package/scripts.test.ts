// The repository's documented commands as a developer types them: `node scripts/token.mjs` with
// the system Node (20 on this machine; the scripts need 22 and re-run themselves with the pinned
// one), and `npm run types`, which must regenerate the tracked worker-configuration.d.ts as is.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { verifyToken } from "../../worker/tokens";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The first `node` on PATH that is not one npm put there from node_modules/.bin. */
function systemNode(): string {
  const dirs = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes("node_modules"));
  const found = dirs.map((dir) => join(dir, "node")).find((path) => existsSync(path));
  if (!found) throw new Error("no node on PATH outside node_modules");
  return found;
}

describe("repository scripts", () => {
  const node = systemNode();
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();

  it(`node scripts/token.mjs works with the system Node (${version})`, async () => {
    const run = spawnSync(
      node,
      ["scripts/token.mjs", "--doc", "notes:*", "--role", "read", "--secret", "s3cret"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const result = await verifyToken(run.stdout.trim(), "s3cret", "notes:1");
    expect(result).toMatchObject({ ok: true, claims: { doc: "notes:*", role: "read" } });
  });

  it("npm run types regenerates the tracked worker-configuration.d.ts unchanged", () => {
    const path = join(ROOT, "worker-configuration.d.ts");
    const tracked = readFileSync(path, "utf8");
    try {
      const run = spawnSync("npm", ["run", "types"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      });
      expect(run.status, run.stderr).toBe(0);
      expect(readFileSync(path, "utf8")).toBe(tracked);
    } finally {
      writeFileSync(path, tracked);
    }
  });
});
