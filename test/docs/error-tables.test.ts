// The error tables of the docs come from the code: docs/errors.md's HTTP table is rendered from
// the Worker's WorkerError and the contract's RpcError, and the close-code tables of
// docs/errors.md and PROTOCOL.md from CloseCode and CLOSE_CODE_DOCS. A stale table fails here;
// `UPDATE_DOCS=1 npx vitest run --project node test/docs/error-tables.test.ts` rewrites it.
// Beside the tables, every code the Worker's source answers must be in WorkerError with its
// status, and every "503 code" or 44xx/45xx close code a doc names must exist.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { RpcError } from "../../durable-objects/contract/results";
import { CLOSE_CODE_DOCS } from "../../protocol/close-code-docs";
import { CloseCode, isPermanentClose } from "../../protocol/close-codes";
import { WorkerError } from "../../worker/error-codes";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

type Entry = { status: number; doc: string };

/** Every HTTP error code with its status and doc; a code both halves answer joins its docs. */
function httpErrors(): Map<string, Entry> {
  const all = new Map<string, Entry>();
  for (const table of [WorkerError, RpcError] as Record<string, Entry>[])
    for (const [code, { status, doc }] of Object.entries(table)) {
      const seen = all.get(code);
      if (seen && seen.status !== status)
        throw new Error(`${code} is ${seen.status} and ${status}`);
      all.set(code, { status, doc: seen ? `${seen.doc}; ${doc}` : doc });
    }
  return all;
}

function renderHttpTable(): string {
  const rows = [...httpErrors()]
    .sort(([, a], [, b]) => a.status - b.status)
    .map(([code, { status, doc }]) => `| ${status} | \`${code}\` | ${doc} |`);
  return ["| status | code | when |", "|---:|---|---|", ...rows].join("\n");
}

function renderCloseTable(): string {
  const rows = Object.entries(CloseCode).map(([key, code]) => {
    const { name, meaning } = CLOSE_CODE_DOCS[key as keyof typeof CloseCode];
    const retry = isPermanentClose(code) ? "no" : "yes, with backoff";
    return `| ${code} | ${name} | ${meaning} | ${retry} |`;
  });
  return ["| code | name | meaning | retry? |", "|---:|---|---|---|", ...rows].join("\n");
}

const BEGIN = (name: string) =>
  `<!-- generated from the code by test/docs/error-tables.test.ts: ${name} -->`;
const END = "<!-- end of generated table -->";

/** Checks (or, with UPDATE_DOCS=1, rewrites) the region `name` of `path`. */
function checkRegion(path: string, name: string, table: string): void {
  const text = read(path);
  const start = text.indexOf(BEGIN(name));
  expect(start, `${path} has the region ${name}`).toBeGreaterThanOrEqual(0);
  const from = start + BEGIN(name).length;
  const end = text.indexOf(END, from);
  const want = `\n${table}\n`;
  if (process.env.UPDATE_DOCS === "1") {
    writeFileSync(new URL(path, root), text.slice(0, from) + want + text.slice(end));
    return;
  }
  expect(text.slice(from, end), `${path} ${name} (UPDATE_DOCS=1 rewrites it)`).toBe(want);
}

/** (status, code) pairs the Worker's source answers: `f(…, 503, "code", …)` and `{ status, code }`. */
function answeredCodes(): { file: string; status: number; code: string }[] {
  const files = (readdirSync(new URL("worker/", root), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => `worker/${f}`);
  const found: { file: string; status: number; code: string }[] = [];
  const isCode = (n: ts.Node): n is ts.StringLiteral =>
    ts.isStringLiteral(n) && /^[a-z]+(_[a-z]+)+$/.test(n.text);
  const isStatus = (n: ts.Node): n is ts.NumericLiteral =>
    ts.isNumericLiteral(n) && /^[45]\d\d$/.test(n.text);
  for (const file of files) {
    const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        const args = node.arguments ?? [];
        args.forEach((arg, i) => {
          const next = args[i + 1];
          if (isStatus(arg) && next && isCode(next))
            found.push({ file, status: Number(arg.text), code: next.text });
        });
      }
      if (ts.isObjectLiteralExpression(node)) {
        const prop = (key: string) =>
          node.properties.find(
            (p): p is ts.PropertyAssignment =>
              ts.isPropertyAssignment(p) && p.name.getText(source) === key,
          )?.initializer;
        const status = prop("status");
        const code = prop("code");
        if (status && code && isStatus(status) && isCode(code))
          found.push({ file, status: Number(status.text), code: code.text });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

const DOCS = [
  "README.md",
  "PROTOCOL.md",
  ...readdirSync(new URL("docs/", root)).map((f) => `docs/${f}`),
].filter((f) => f.endsWith(".md"));

describe("the error tables", () => {
  it("docs/errors.md lists every HTTP error code with its status, as the code has them", () => {
    checkRegion("docs/errors.md", "http-errors", renderHttpTable());
  });

  it("docs/errors.md and PROTOCOL.md list every close code, as the code has them", () => {
    checkRegion("docs/errors.md", "close-codes", renderCloseTable());
    checkRegion("PROTOCOL.md", "close-codes", renderCloseTable());
  });

  it("every code the Worker answers is in the table, with its status", () => {
    const errors = httpErrors();
    const answered = answeredCodes();
    expect(answered.length).toBeGreaterThan(10);
    for (const { file, status, code } of answered)
      expect(errors.get(code)?.status, `${file}: ${status} ${code}`).toBe(status);
  });

  it("the docs name no error code or close code that does not exist", () => {
    const errors = httpErrors();
    const closeCodes = new Set<number>(Object.values(CloseCode));
    // The bands' bounds (4400–4499, 4500–4599) are named as bounds, not as codes.
    const bounds = new Set([4499, 4599]);
    for (const file of DOCS) {
      const text = read(file);
      for (const [, status, code] of text.matchAll(/`?([45]\d\d) `?([a-z]+(?:_[a-z]+)+)`?/g))
        expect(errors.get(code!)?.status, `${file}: ${status} ${code}`).toBe(Number(status));
      for (const [number] of text.matchAll(/\b4[45]\d\d\b/g))
        if (!bounds.has(Number(number)))
          expect(closeCodes.has(Number(number)), `${file}: close code ${number}`).toBe(true);
    }
  });
});
