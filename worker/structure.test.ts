// Two rules of ARCHITECTURE.md, held here: no import circle anywhere under durable-objects/,
// worker/, protocol/ or server/ (type-only imports count: a circle of types is still a circle
// to read), and no source file over MAX_FILE_LINES lines (prettier fixes the width, so a
// file's length means what it says). Imports are read with TypeScript's own scanner, as in
// imports.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const FOLDERS = ["durable-objects", "worker", "protocol", "server"];
/** Longest source file allowed (tests included). */
const MAX_FILE_LINES = 400;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : tsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier a file imports (packages included). */
const specifiers = (file: string) =>
  ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);

/** Each file's relative imports, as repository paths of the files they resolve to. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files.map((f) => relative(root, f)));
  const resolveSpec = (from: string, spec: string) => {
    const base = relative(root, resolve(dirname(from), spec)).replace(/\.[cm]?[jt]s$/, "");
    return [`${base}.ts`, join(base, "index.ts")].find((p) => known.has(p));
  };
  return new Map(
    files.map((file) => {
      const targets = specifiers(file)
        .filter((spec) => spec.startsWith("."))
        .map((spec) => resolveSpec(file, spec))
        .filter((p): p is string => p !== undefined);
      return [relative(root, file), targets];
    }),
  );
}

/** Every circle in `graph`, each as the path of files that closes it. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

/** A circle named by its files, wherever the search entered it. */
const key = (circle: string[]) => [...new Set(circle)].sort().join(" ~ ");

describe("the module structure", () => {
  const files = FOLDERS.flatMap((folder) => tsFiles(join(root, folder)));
  const graph = importGraph(files);

  it("has no import circle", () => {
    const found = circles(graph);
    expect(found.map((c) => c.join(" → "))).toEqual([]);
  });

  it("finds a circle when there is one (the check is not blind)", () => {
    const host = "durable-objects/document-host.ts";
    expect(graph.get(host)).toContain("durable-objects/room.ts");
    const looped = new Map(graph).set("durable-objects/room.ts", [host]);
    expect(circles(looped).map(key)).toContain(key([host, "durable-objects/room.ts"]));
  });

  it("keeps the contract plain: no Durable Object internals (but the limits table), no zod", () => {
    const contract = [...graph.keys()].filter((f) => f.startsWith("durable-objects/contract/"));
    const inside = (f: string) =>
      f.startsWith("durable-objects/contract/") ||
      f.startsWith("protocol/") ||
      f === "durable-objects/config.ts";
    const leaks = contract.flatMap((f) =>
      graph
        .get(f)!
        .filter((t) => !inside(t))
        .map((t) => `${f} → ${t}`),
    );
    expect(leaks).toEqual([]);
    // Nothing the Durable Object's class reaches imports zod (the OpenAPI schemas are the Worker's).
    const reached = new Set<string>();
    const walk = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const next of graph.get(f) ?? []) walk(next);
    };
    walk("durable-objects/document-object.ts");
    expect(reached.size).toBeGreaterThan(20);
    const zod = [...reached].filter((f) => specifiers(join(root, f)).some((m) => /zod/.test(m)));
    expect(zod).toEqual([]);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    const all = [...files, ...["client", "tokens", "test"].flatMap((f) => tsFiles(join(root, f)))];
    const long = all
      .map((file) => ({
        file: relative(root, file),
        lines: readFileSync(file, "utf8").split("\n").length - 1,
      }))
      .filter(({ lines }) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });
});
