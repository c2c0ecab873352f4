// The published package as a consumer gets it: `npm pack` (prepack builds dist/), then a fresh
// app installs the tarball next to its own yjs at another 13.6 version. It must get one copy
// of Yjs (two copies made a store reload an empty document), type-check under NodeNext, Node16,
// Bundler and Node10, and sync through the real server with tokens from `edgesync/tokens`.
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../helpers/server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** A Yjs release other than our devDependency pin, inside the peer range. */
const APP_YJS = "13.6.27";
const SECRET = "package-test-secret";
/** Packing (with its build), installing and starting the server, on a busy shared machine. */
const SETUP_TIMEOUT_MS = 240_000;
/** The app's whole run: three providers against the real server. */
const APP_RUN_TIMEOUT_MS = 60_000;
/** moduleResolution → module, for each mode a consumer may use. */
const MODES = {
  nodenext: "NodeNext",
  node16: "Node16",
  bundler: "ESNext",
  node10: "ESNext",
} as const;

/** npm without the variables `npx`/`npm run` set for this repository (its prefix, its call). */
const npmEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)),
) as NodeJS.ProcessEnv;

function npm(
  args: string[],
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("npm", [...args, "--no-audit", "--no-fund"], { cwd, env: npmEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

let work: string;
let app: string;
let packed: { filename: string; files: { path: string }[] };
let packedManifest: Record<string, unknown>;
let serverStarting: Promise<RunningServer> | undefined;
let server: RunningServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "edgesync-pack-"));
  app = join(work, "app");
  // Pack a copy of the working tree without dist/: the tarball must be built by prepack, not by
  // an earlier build, and that build must not pull dist/ from under tests that import it.
  const source = join(work, "edgesync");
  cpSync(ROOT, source, {
    recursive: true,
    filter: (path) =>
      !/^[/\\]?(.*[/\\])?(node_modules|\.wrangler|dist|\.git)$/.test(path.slice(ROOT.length - 1)),
  });
  symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"));
  expect(existsSync(join(source, "dist"))).toBe(false);
  const pack = await npm(["pack", "--json", "--pack-destination", work], source);
  expect(pack.status, pack.stderr).toBe(0);
  [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("[")));
  mkdirSync(join(app, "src"), { recursive: true });
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  cpSync(join(ROOT, "test/package/app/main.ts"), join(app, "src/main.ts"));
  const tarball = join(work, packed.filename);
  // The server boots while npm installs (mostly waiting on I/O), not during the build in
  // prepack, which would slow its start past the helper's timeout on a busy machine.
  serverStarting = startServer({ vars: { AUTH_SECRET: SECRET } });
  const install = await npm(
    ["install", "--prefer-offline", tarball, `yjs@${APP_YJS}`, "y-protocols", "lib0"],
    app,
  );
  expect(install.status, install.stderr).toBe(0);
  packedManifest = JSON.parse(
    readFileSync(join(app, "node_modules/edgesync/package.json"), "utf8"),
  );
  server = await serverStarting;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  // Also when setup failed half way: the server may be up without `server` being set.
  await (await serverStarting?.catch(() => undefined))?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** TypeScript's own lib files, parsed once for every mode (parsing them is most of a check). */
const libCache = new Map<string, ts.SourceFile | undefined>();

/**
 * `tsc --noEmit` on the app's src/main.ts, with the package's declarations checked too
 * (skipLibCheck off: TS2834 in them shows; with it on, SyncProvider silently became `any`).
 */
function typeCheck(resolution: keyof typeof MODES): string {
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      target: "ES2022",
      lib: ["ES2022", "DOM"],
      types: [],
      module: MODES[resolution],
      moduleResolution: resolution,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      skipDefaultLibCheck: true,
    },
    app,
  );
  expect(errors).toEqual([]);
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  const libDir = ts.getDefaultLibFilePath(options).replace(/[^/\\]+$/, "");
  host.getSourceFile = (fileName, version, ...rest) => {
    if (!fileName.startsWith(libDir)) return parse(fileName, version, ...rest);
    const key = `${fileName}:${JSON.stringify(version)}`;
    if (!libCache.has(key)) libCache.set(key, parse(fileName, version, ...rest));
    return libCache.get(key);
  };
  const program = ts.createProgram([join(app, "src/main.ts")], options, host);
  return ts.formatDiagnostics(ts.getPreEmitDiagnostics(program), {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => app,
    getNewLine: () => "\n",
  });
}

describe("the packed edgesync package", () => {
  it("ships the built dist, LICENSE, README and package.json; no sources, tests or declaration maps", () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "README.md",
        "package.json",
        "dist/client/index.js",
        "dist/client/index.d.ts",
        "dist/client/provider.d.ts",
        "dist/tokens/mint.js",
        "dist/tokens/mint.d.ts",
      ]),
    );
    expect(
      files.filter(
        (f) => !f.startsWith("dist/") && !["LICENSE", "README.md", "package.json"].includes(f),
      ),
    ).toEqual([]);
    expect(files.filter((f) => /\.test\.|(?<!\.d)\.ts$|\.d\.ts\.map$/.test(f))).toEqual([]);
  });

  it("asks the app for yjs, y-protocols and lib0 as peers, installs nothing else, runs on Node 18", () => {
    expect(packedManifest.dependencies).toBeUndefined();
    expect(packedManifest.engines).toEqual({ node: ">=18" });
    expect(packedManifest.peerDependencies).toEqual({
      yjs: expect.stringMatching(/^\^13\./),
      "y-protocols": expect.stringMatching(/^\^1\./),
      lib0: expect.stringMatching(/^\^0\.2\./),
    });
    expect(existsSync(join(app, "node_modules/hono"))).toBe(false);
  });

  it(`installs one copy of Yjs: the app's ${APP_YJS}`, async () => {
    expect(existsSync(join(app, "node_modules/edgesync/node_modules"))).toBe(false);
    const ls = await npm(["ls", "yjs", "--all", "--json"], app);
    expect(ls.status, ls.stderr).toBe(0);
    const versions = new Set<string>();
    const walk = (deps: Record<string, { version?: string; dependencies?: object }> = {}) => {
      for (const [name, node] of Object.entries(deps)) {
        if (name === "yjs" && node.version) versions.add(node.version);
        walk(node.dependencies as never);
      }
    };
    walk(JSON.parse(ls.stdout).dependencies);
    expect([...versions]).toEqual([APP_YJS]);
  });

  it.each(Object.keys(MODES) as (keyof typeof MODES)[])(
    "type-checks in the app under moduleResolution %s",
    (resolution) => {
      expect(typeCheck(resolution)).toBe("");
    },
  );

  it("syncs through the real server and reloads the document from a KeyValueStore", async () => {
    const { code } = transformSync(readFileSync(join(app, "src/main.ts"), "utf8"), {
      loader: "ts",
      format: "esm",
    });
    writeFileSync(join(app, "src/main.js"), code);
    const script = `
      import { run, TEXT } from "./src/main.js";
      const result = await run(${JSON.stringify(server.wsUrl)}, ${JSON.stringify(SECRET)}, "package-test-doc");
      console.log(JSON.stringify({ ...result, TEXT }));
    `;
    const node = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: app,
      encoding: "utf8",
      timeout: APP_RUN_TIMEOUT_MS,
    });
    expect(node.status, node.stderr).toBe(0);
    const result = JSON.parse(node.stdout.trim().split("\n").pop()!);
    expect(result.reloadedFromStore).toBe(result.TEXT);
    expect(result.fromServer).toBe(result.TEXT);
    expect(result.statuses).toContain("connected");
    expect(node.stderr).not.toMatch(/Yjs was already imported/);
  });
});

describe("npm start (the server the app synced with)", () => {
  it("prints no migration prompt and no stack traces for offline lookups", () => {
    const output = server.output();
    expect(output).toMatch(/edgesync: local D1 migrated \(0001_documents\.sql/);
    expect(output).not.toMatch(/About to apply|continue\?|fallback value/);
    expect(output).not.toMatch(/ENOTFOUND|Request\.cf|\n\s+at /);
  });
});
