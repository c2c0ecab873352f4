// Our SDK opening N documents: one SyncClient over /mux (one socket) against N SyncProviders on
// N direct sockets; reports the time from creating the providers to all of them synced. Bundles
// the SDK from source with esbuild (yjs inside the same bundle, so there is one copy of Yjs).
// Run against a server started with `npm start -- --port P` (open access), with Node 22:
//   node bench/mux/sdk-open.mjs http://127.0.0.1:P [docs] [rounds] [reopen]
// `measureSdkOpen` is exported for a driver.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Documents opened per round (issue 18: 100 documents over one socket vs 100 sockets). */
const DEFAULT_DOCS = 100;
/** Rounds per path; the paths alternate so a slow moment of the machine hits both. */
const DEFAULT_ROUNDS = 5;

/** The SDK and Yjs from source, as one ES module. */
async function loadSdk() {
  const dir = mkdtempSync(join(tmpdir(), "edgesync-sdk-open-"));
  const outfile = join(dir, "sdk.mjs");
  await build({
    stdin: {
      contents: 'export * from "./client/index.ts"; export * as Y from "yjs";',
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile,
    logLevel: "warning",
  });
  const sdk = await import(pathToFileURL(outfile).href);
  rmSync(dir, { recursive: true, force: true });
  return sdk;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Milliseconds from creating `docs` providers to all synced, over `/mux` and over direct sockets.
 * `reopen`: every round opens the same documents again (their objects exist and are warm), which
 * leaves the transport's share; otherwise each round creates new documents.
 */
export async function measureSdkOpen({
  base,
  docs = DEFAULT_DOCS,
  rounds = DEFAULT_ROUNDS,
  reopen = false,
}) {
  const { SyncClient, SyncProvider, Y } = await loadSdk();
  const ws = base.replace(/^http/, "ws");
  const runId = Date.now();
  const ids = (tag, round) =>
    Array.from(
      { length: docs },
      (_, i) => `sdkopen-${tag}-${runId}-${reopen ? "same" : round}-${i}`,
    );
  const paths = {
    mux: async (round) => {
      const client = new SyncClient({ url: `${ws}/mux` });
      const started = performance.now();
      const list = ids("mux", round).map((docId) => client.provider({ docId, doc: new Y.Doc() }));
      await Promise.all(list.map((p) => p.whenSynced()));
      const ms = performance.now() - started;
      await client.destroy();
      return ms;
    },
    direct: async (round) => {
      const started = performance.now();
      const list = ids("direct", round).map(
        (docId) => new SyncProvider({ url: `${ws}/sync`, docId, doc: new Y.Doc() }),
      );
      await Promise.all(list.map((p) => p.whenSynced()));
      const ms = performance.now() - started;
      await Promise.all(list.map((p) => p.destroy()));
      return ms;
    },
  };
  const times = { mux: [], direct: [] };
  // Warm-up: the runtime's first objects, the bundle's first run, and (reopen) the documents.
  await paths.mux(-1);
  if (reopen) await paths.direct(-1);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["mux", "direct"] : ["direct", "mux"];
    for (const path of order) times[path].push(await paths[path](round));
  }
  return {
    docs,
    rounds,
    reopen,
    muxMedianMs: median(times.mux),
    directMedianMs: median(times.direct),
    muxMs: times.mux,
    directMs: times.direct,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [base = "http://127.0.0.1:8787", docs, rounds, mode] = process.argv.slice(2);
  const result = await measureSdkOpen({
    base,
    docs: docs ? Number(docs) : undefined,
    rounds: rounds ? Number(rounds) : undefined,
    reopen: mode === "reopen",
  });
  console.log(JSON.stringify(result, null, 2));
}
