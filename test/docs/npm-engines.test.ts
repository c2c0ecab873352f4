// docs/development.md says how many EBADENGINE warnings `npm install` prints on Node 20. npm
// prints one per installed package whose `engines.node` the running Node does not satisfy; the
// lockfile records each package's `engines`, so the count is read from it, not from a slow install.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
// semver is npm's own range logic; every install of this project has it (wrangler needs it).
const semver = require("semver") as { satisfies(version: string, range: string): boolean };

/** The Node 20 a system without Node 22 has (the newest 20.x when this was checked). */
const NODE_20 = "20.20.2";

const root = new URL("../../", import.meta.url);
const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as {
  packages: Record<string, { engines?: { node?: string } }>;
};

describe("docs/development.md on EBADENGINE", () => {
  it("states the number of packages whose engines Node 20 does not meet, and names each", () => {
    const refused = Object.entries(lock.packages)
      .filter(([path, meta]) => path !== "" && meta.engines?.node)
      .filter(([, meta]) => !semver.satisfies(NODE_20, meta.engines!.node!))
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    const doc = readFileSync(new URL("docs/development.md", root), "utf8");
    const stated = /prints (\d+) `EBADENGINE` warnings/.exec(doc);
    expect(stated, "the doc states a count").not.toBeNull();
    expect(Number(stated![1])).toBe(refused.length);
    for (const name of new Set(refused)) expect(doc).toContain(`\`${name}\``);
  });
});
