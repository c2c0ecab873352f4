// The REST block of docs/rest.md (the README links to it), taken from the file and run with bash against the real server as
// `npm start` runs it: open (no token) and with AUTH_SECRET and a minted token. Every command
// must succeed (`set -e`, curl -f) and leave what the comments say.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createToken } from "../../worker/tokens";
import { startServer, type RunningServer } from "../helpers/server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "a-local-secret-for-the-readme-test";

/** The first ```sh block of docs/rest.md. */
function restBlock(): string {
  const rest = readFileSync(join(ROOT, "docs", "rest.md"), "utf8");
  const match = /```sh\n([\s\S]*?)```/.exec(rest);
  if (!match) throw new Error("no sh block in docs/rest.md");
  return match[1]!;
}

let open: RunningServer;
let authed: RunningServer;
const dirs: string[] = [];
beforeAll(async () => {
  [open, authed] = await Promise.all([
    startServer(),
    startServer({ vars: { AUTH_SECRET: SECRET } }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.dispose(), authed?.dispose()]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the block in a scratch directory that has the project's scripts/, as a checkout does, with
 * its own TMPDIR, where the block's `mktemp -d` puts the files it writes.
 */
function runBlock(server: RunningServer, env: Record<string, string>) {
  const block = restBlock();
  const cwd = mkdtempSync(join(tmpdir(), "edgesync-readme-"));
  const tmp = mkdtempSync(join(tmpdir(), "edgesync-readme-tmp-"));
  dirs.push(cwd, tmp);
  symlinkSync(join(ROOT, "scripts"), join(cwd, "scripts"));
  const script = `set -eo pipefail -x\n${block.replace(/(127\.0\.0\.1|localhost):8787/g, `127.0.0.1:${server.port}`)}`;
  const run = spawnSync("bash", ["-c", script], {
    cwd,
    env: { ...process.env, ...env, TMPDIR: tmp },
    encoding: "utf8",
  });
  const commands = run.stderr.split("\n").filter((line) => /^\++ (curl|node) /.test(line));
  return {
    ...run,
    cwd,
    tmp,
    commands,
    expected: block.split("\n").filter((l) => /(^|\$\()(curl|node) /.test(l.trim())).length,
  };
}

async function checkRun(server: RunningServer, env: Record<string, string>) {
  const run = runBlock(server, env);
  expect(run.status, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  // Every curl and node line ran (set -x traces each; a failure would have stopped bash).
  expect(run.commands.length).toBe(run.expected + 1); // + the node inside SV=$(… | node -p …)
  expect(run.stdout).toContain('{"t":"hello"}');
  expect(run.stdout).toContain('"deleted":true');
  // Nothing is left in the directory it ran in (a checkout): its files went to a `mktemp -d`.
  expect(readdirSync(run.cwd)).toEqual(["scripts"]);
  const [scratch] = readdirSync(run.tmp).map((d) => join(run.tmp, d));
  const doc = new Y.Doc();
  Y.applyUpdate(doc, readFileSync(join(scratch!, "doc.bin")));
  expect(doc.getText("t").toString()).toBe("hello");
  Y.applyUpdate(doc, readFileSync(join(scratch!, "new.bin")));
  expect(doc.getText("t").toString()).toBe("hello world");
  return run;
}

describe("the REST block of docs/rest.md", () => {
  it("runs top to bottom against a fresh npm start (open access)", async () => {
    await checkRun(open, { T: "" });
  });

  it("runs top to bottom with AUTH_SECRET and an admin token in $T, and fails without one", async () => {
    const T = await createToken(SECRET, { doc: "*", role: "admin", ttlSeconds: 600 });
    await checkRun(authed, { T });
    const refused = runBlock(authed, { T: "" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/error: 401/);
  });
});
