// The published package as a consumer gets it: `npm pack` (prepack builds dist/), then a fresh
// app installs the tarball next to its own yjs at another 13.6 version. It must get one copy
// of Yjs (two copies made a store reload an empty document), type-check under NodeNext, Node16,
// Bundler and Node10, and sync through the real server with tokens from `edgesync/tokens`. A second
// app, a Worker mounting `edgesync/server` beside its own routes, installs the same tarball with
// Hono and the Workers types: its code type-checks against the declarations and bundles.
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
import { build, transformSync } from "esbuild";
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
/** The server app's own dependencies: the repository's pins (in npm's cache already). */
const SERVER_APP_DEPS = [
  "hono",
  "@hono/zod-openapi",
  "zod",
  "jose",
  "@cloudflare/workers-types",
  "yjs",
  "y-protocols",
  "lib0",
];
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
let serverApp: string;
let packed: { filename: string; files: { path: string }[] };
let packedManifest: Record<string, unknown>;
let serverStarting: Promise<RunningServer> | undefined;
let server: RunningServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "edgesync-pack-"));
  app = join(work, "app");
  serverApp = join(work, "server-app");
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
  for (const [dir, name, file] of [
    [app, "consumer", "main.ts"],
    [serverApp, "server-consumer", "server.ts"],
  ] as const) {
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name, private: true, type: "module" }),
    );
    cpSync(join(ROOT, "test/package/app", file), join(dir, "src", file));
  }
  const tarball = join(work, packed.filename);
  // The server boots while npm installs (mostly waiting on I/O), not during the build in
  // prepack, which would slow its start past the helper's timeout on a busy machine.
  serverStarting = startServer({ vars: { AUTH_SECRET: SECRET } });
  const rootManifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const pinned = (name: string) => `${name}@${rootManifest.devDependencies[name]}`;
  // Both apps install at once: each mostly waits on npm's cache and the disk.
  const [install, serverInstall] = await Promise.all([
    npm(["install", "--prefer-offline", tarball, `yjs@${APP_YJS}`, "y-protocols", "lib0"], app),
    npm(["install", "--prefer-offline", tarball, ...SERVER_APP_DEPS.map(pinned)], serverApp),
  ]);
  expect(install.status, install.stderr).toBe(0);
  expect(serverInstall.status, serverInstall.stderr).toBe(0);
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
function typeCheck(
  resolution: keyof typeof MODES,
  dir = app,
  file = "src/main.ts",
  env: { lib: string[]; types: string[] } = { lib: ["ES2022", "DOM"], types: [] },
): string {
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      target: "ES2022",
      ...env,
      module: MODES[resolution],
      moduleResolution: resolution,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      skipDefaultLibCheck: true,
    },
    dir,
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
  const program = ts.createProgram([join(dir, file)], options, host);
  // Ours (the app and edgesync's declarations), not another package's: Yjs's declarations name
  // DOM types a Worker's lib does not have, which a Worker app's skipLibCheck hides.
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => !/[/\\]node_modules[/\\](?!edgesync[/\\])/.test(d.file?.fileName ?? ""));
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => dir,
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
        "dist/server/index.js",
        "dist/server/index.d.ts",
        "migrations/0001_documents.sql",
      ]),
    );
    expect(
      files.filter(
        (f) =>
          !/^(dist\/|migrations\/[^/]+\.sql$)/.test(f) &&
          !["LICENSE", "README.md", "package.json"].includes(f),
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
      // edgesync/server's runtime: optional, so a client-only app is not given them.
      hono: expect.stringMatching(/^\^4\./),
      "@hono/zod-openapi": expect.stringMatching(/^\^1\./),
      zod: expect.stringMatching(/^\^4\./),
      jose: expect.stringMatching(/^\^6\./),
    });
    const optional = packedManifest.peerDependenciesMeta as Record<string, { optional?: boolean }>;
    for (const name of ["hono", "@hono/zod-openapi", "zod", "jose"])
      expect(optional[name]?.optional, name).toBe(true);
    for (const name of ["hono", "@hono/zod-openapi", "zod", "jose"])
      expect(existsSync(join(app, "node_modules", name)), name).toBe(false);
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

describe("edgesync/server in a Worker of the app's own", () => {
  // Bundler only, as wrangler projects resolve (~15 s a mode on a busy machine); the client's
  // checks above already hold the declarations' .js extensions under Node16 and NodeNext.
  it("type-checks against the packed declarations (checked too) under moduleResolution bundler", () => {
    const env = { lib: ["ES2023"], types: ["@cloudflare/workers-types"] };
    expect(typeCheck("bundler", serverApp, "src/server.ts", env)).toBe("");
  });

  it("bundles for workerd (esbuild, platform neutral) with one copy of Hono and of Yjs", async () => {
    const result = await build({
      entryPoints: [join(serverApp, "src/server.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      // As wrangler resolves packages for workerd (some dependencies have only `main`/`module`).
      conditions: ["workerd", "worker"],
      mainFields: ["module", "main"],
      external: ["cloudflare:*"],
      metafile: true,
      absWorkingDir: serverApp,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("node_modules/edgesync/dist/server/index.js");
    const copies = (name: string) =>
      new Set(inputs.map((path) => path.match(`^(.*node_modules/${name})/`)?.[1]).filter(Boolean));
    expect([...copies("hono")]).toEqual(["node_modules/hono"]);
    expect([...copies("yjs")]).toEqual(["node_modules/yjs"]);
    const code = result.outputFiles[0]!.text;
    expect(code).toMatch(/from\s*"cloudflare:workers"/);
    expect(code).toContain("class extends DocumentObject");
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
