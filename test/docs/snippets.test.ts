// The code snippets of README.md and docs/*.md import what the package exports: every name
// imported from `edgesync/…` is exported by that entry, nothing is imported by a path into the
// repository, and a block that imports from edgesync imports every export of it that it uses.
// Export names are read from the entries' source with TypeScript's own parser.
import { readdirSync, readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** The package's entries and their source files (package.json `exports`). */
const ENTRIES: Record<string, string> = {
  "edgesync/client": "client/index.ts",
  "edgesync/server": "server/index.ts",
  "edgesync/tokens": "tokens/mint.ts",
};

/** Every name a module exports: `export { … }` lists and exported declarations. */
function exportsOf(path: string): Set<string> {
  const source = ts.createSourceFile(path, read(path), ts.ScriptTarget.Latest);
  const names = new Set<string>();
  for (const node of source.statements) {
    if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause))
      for (const spec of node.exportClause.elements) names.add(spec.name.text);
    const exported = ts.canHaveModifiers(node)
      ? ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) continue;
    if (ts.isVariableStatement(node))
      for (const d of node.declarationList.declarations)
        if (ts.isIdentifier(d.name)) names.add(d.name.text);
    if ("name" in node && node.name && ts.isIdentifier(node.name as ts.Node))
      names.add((node.name as ts.Identifier).text);
  }
  return names;
}

const docs = ["README.md", ...readdirSync(new URL("docs/", root)).map((f) => `docs/${f}`)].filter(
  (f) => f.endsWith(".md"),
);

/** The js/ts code blocks of a Markdown file. */
function blocksOf(path: string): string[] {
  return [...read(path).matchAll(/```(?:js|ts|javascript|typescript)\n([\s\S]*?)```/g)].map(
    (m) => m[1]!,
  );
}

const IMPORT = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"([^"]+)"/g;

describe("the docs' code snippets", () => {
  const exported = Object.fromEntries(
    Object.entries(ENTRIES).map(([entry, file]) => [entry, exportsOf(file)]),
  );

  it("import only names their edgesync entry exports, never a path into the repository", () => {
    let checked = 0;
    for (const file of docs)
      for (const block of blocksOf(file))
        for (const [, list, from] of block.matchAll(IMPORT)) {
          expect(from, `${file}: import from ${from}`).not.toMatch(/^\.|edgesync\/(?!\w+$)/);
          if (!from!.startsWith("edgesync")) continue;
          expect(Object.keys(ENTRIES), `${file}: ${from}`).toContain(from);
          for (const name of list!.split(",").map((n) => n.replace(/^\s*type\s+/, "").trim()))
            if (name) expect(exported[from!], `${file}: ${name} from ${from}`).toContain(name);
          checked++;
        }
    expect(checked).toBeGreaterThan(5);
  });

  it("import every edgesync export they use", () => {
    for (const file of docs)
      for (const block of blocksOf(file)) {
        const imports = [...block.matchAll(IMPORT)].filter(([, , from]) =>
          from!.startsWith("edgesync"),
        );
        if (imports.length === 0) continue;
        const imported = new Set(
          imports.flatMap(([, list]) => list!.split(",").map((n) => n.trim())),
        );
        for (const names of Object.values(exported))
          for (const name of names)
            if (/^[a-z]/.test(name) && new RegExp(`\\b${name}\\(`).test(block))
              expect(imported, `${file}: a block calls ${name}() without importing it`).toContain(
                name,
              );
      }
  });
});
