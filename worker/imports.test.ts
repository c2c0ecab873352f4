// The Worker reaches into the Durable Object's folder only through the contract (what the two
// halves agree on) and the D1 index module. The class (and createDocumentObject, and the limits
// table) reach it through the package entry, server/index.ts, which worker/index.ts re-exports
// for wrangler, as an embedder's Worker does. Every import, re-export and dynamic import of every
// worker/**/*.ts and of server/index.ts is read with TypeScript's own scanner, so a new import of
// any other Durable Object module fails here. The settings both halves read live in config/, which
// imports neither half (the last test here holds that).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const worker = dirname(fileURLToPath(import.meta.url));
const root = dirname(worker);
const DO_FOLDER = "durable-objects";

/** Modules of the Durable Object's folder the Worker may import, and from where (null: any file). */
const ENTRY = join("server", "index.ts");
const ALLOWED: { module: string; from: string | null }[] = [
  { module: join(DO_FOLDER, "contract"), from: null },
  { module: join(DO_FOLDER, "storage", "d1-record"), from: null },
  { module: join(DO_FOLDER, "document-object"), from: ENTRY },
  { module: join(DO_FOLDER, "create-document-object"), from: ENTRY },
  { module: join(DO_FOLDER, "config"), from: ENTRY },
];

function workerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return workerFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative module a file imports, as a path from the repository root without extension. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return [...info.importedFiles, ...info.referencedFiles]
    .map(({ fileName }) => fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) =>
      relative(root, resolve(dirname(file), spec)).replace(/(\/index)?(\.d)?\.[cm]?[jt]s$/, ""),
    );
}

/** The Durable Object modules `file` imports that the rule does not allow. */
function violations(file: string, imports: string[]): string[] {
  const from = relative(root, file);
  return imports
    .filter((module) => module === DO_FOLDER || module.startsWith(DO_FOLDER + "/"))
    .filter(
      (module) =>
        !ALLOWED.some(
          (rule) =>
            (module === rule.module || module.startsWith(rule.module + "/")) &&
            (rule.from === null || rule.from === from),
        ),
    )
    .map((module) => `${from} imports ${module}`);
}

describe("what the Worker imports from durable-objects/", () => {
  const files = [...workerFiles(worker), join(root, ENTRY)];
  const imports = new Map(files.map((file) => [file, importsOf(file)]));

  it("is only the contract, the D1 index, and the class through the package entry", () => {
    expect(files.flatMap((file) => violations(file, imports.get(file)!))).toEqual([]);
  });

  it("sees the imports the Worker has (the scan is not blind)", () => {
    const seen = new Set([...imports.values()].flat());
    for (const { module } of ALLOWED) expect(seen).toContain(module);
    expect(files.length).toBeGreaterThan(10);
  });

  it("refuses any other module of the folder, and the class from anywhere but the entry", () => {
    const routes = join(worker, "routes", "docs.ts");
    expect(violations(routes, importsOf(routes))).toEqual([]);
    const internals = [join(DO_FOLDER, "config"), join(DO_FOLDER, "contract-extra")];
    expect(violations(routes, internals)).toHaveLength(2);
    expect(violations(routes, [join(DO_FOLDER, "document-object")])).toHaveLength(1);
    expect(violations(join(worker, "index.ts"), [join(DO_FOLDER, "document-object")])).toHaveLength(
      1,
    );
    expect(violations(join(root, ENTRY), [join(DO_FOLDER, "document-object")])).toEqual([]);
    expect(violations(join(root, ENTRY), [join(DO_FOLDER, "room")])).toHaveLength(1);
  });

  it("lets both halves read config/, which imports nothing outside itself", () => {
    const config = join(root, "config");
    const outside = workerFiles(config).flatMap((file) =>
      importsOf(file)
        .filter((module) => !module.startsWith("config/"))
        .map((module) => `${relative(root, file)} imports ${module}`),
    );
    expect(outside).toEqual([]);
    const seen = new Set([...imports.values()].flat());
    expect(seen).toContain(join("config", "read"));
  });
});
