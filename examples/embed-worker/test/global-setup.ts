// Before the example's tests (in Node): installs `edgesync` into this folder's node_modules as
// `npm install` does for its dependency `file:../..` — a link to the repository — so the app's
// `edgesync/server` goes through the package's own `exports` map on a fresh clone. The project
// resolves it with the `edgesync-source` condition (vitest.config.ts): the package's source entry,
// server/index.ts, so no build of dist/ is needed and none can be stale.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const example = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The link's target, relative as npm writes it. */
const TARGET = join("..", "..", "..");

export default function setup(): void {
  const installed = join(example, "node_modules", "edgesync");
  const found = lstatSync(installed, { throwIfNoEntry: false });
  if (found?.isSymbolicLink() && readlinkSync(installed) === TARGET) return;
  // Something else (an older copy): removed, never followed if it is a link.
  if (found) rmSync(installed, { recursive: !found.isSymbolicLink(), force: true });
  mkdirSync(dirname(installed), { recursive: true });
  symlinkSync(TARGET, installed, "dir");
}
