// Before the example's tests (in Node): makes `edgesync` resolve as `npm install` would make it
// for this folder (the dependency `file:../..` is installed as a link to the repository), and
// builds the package's server bundle (dist/server/index.js), which `edgesync/server` resolves to.
// So the tests run the package's real entry, through its exports map, on a fresh clone.
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { SERVER_BUILD } from "../../../scripts/server-build.mjs";

const example = join(dirname(fileURLToPath(import.meta.url)), "..");

export default async function setup(): Promise<void> {
  const link = join(example, "node_modules", "edgesync");
  if (!existsSync(join(link, "package.json"))) {
    if (lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { force: true });
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join("..", "..", ".."), link, "dir");
  }
  await build(SERVER_BUILD);
}
