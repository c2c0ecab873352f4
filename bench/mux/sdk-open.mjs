// Our SDK opening N documents: one SyncClient over /mux (one socket) against N SyncProviders on
// N direct sockets. `openSdkMux` and `openSdkDirect` are the SDK's rows of the driver's muxOpen
// scenario (scenarios.mjs, MUX_OPEN_ROWS); the CLI below times both paths in alternating rounds.
// The SDK is bundled from source with esbuild, once per process; yjs stays an import resolved from
// bench/ (the copy the driver already loaded), so the process holds one copy of Yjs. Run against a server started with `npm start -- --port P` (open
// access), with Node 22 (the SDK uses its global WebSocket):
//   node bench/mux/sdk-open.mjs http://127.0.0.1:P [docs] [rounds] [reopen]
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where the bundle is written for the import (bench/results/tmp/ is git-ignored). */
const TMP = fileURLToPath(new URL("../results/tmp", import.meta.url));
/** Documents opened per round (issue 18: 100 documents over one socket vs 100 sockets). */
const DEFAULT_DOCS = 100;
/** Rounds per path; the paths alternate so a slow moment of the machine hits both. */
const DEFAULT_ROUNDS = 5;
/** How long all documents may take to sync. */
const SYNC_TIMEOUT_MS = 120_000;
/** How long, after writing the markers, the server may take to acknowledge them as stored. */
const SAVE_TIMEOUT_MS = 30_000;
/** The Y.Text the marker goes into (the same name as load/muxopen.mjs's rows). */
const MARKER_TEXT = "t";

let sdkPromise = null;

/** The SDK from source as one ES module, with the Yjs it uses (built once per process). */
function loadSdk() {
  sdkPromise ??= (async () => {
    // Inside bench/ (its ignored tmp folder), so the bundle's `import "yjs"` finds bench's copy.
    mkdirSync(TMP, { recursive: true });
    const dir = mkdtempSync(join(TMP, "sdk-open-"));
    const outfile = join(dir, "sdk.mjs");
    try {
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
        external: ["yjs"],
        logLevel: "warning",
      });
      return await import(pathToFileURL(outfile).href);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return sdkPromise;
}

/** Resolves with `promise`, or rejects with `message` after `ms`. */
function within(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens `docs` (ids) through the SDK — `mux`: one SyncClient on `/mux`; otherwise one
 * SyncProvider per document on `/sync` — and times creating the providers until all are synced.
 * `expect`: every document must then hold that text (`verified`; null when not checked).
 * `write`: then inserts it into every document and waits until the server acknowledged it stored.
 */
async function openDocs(base, mux, { docs, write = null, expect = null }) {
  const { SyncClient, SyncProvider, Y } = await loadSdk();
  const ws = base.replace(/^http/, "ws");
  const client = mux ? new SyncClient({ url: `${ws}/mux` }) : null;
  const started = performance.now();
  const providers = docs.map((docId) =>
    client
      ? client.provider({ docId, doc: new Y.Doc() })
      : new SyncProvider({ url: `${ws}/sync`, docId, doc: new Y.Doc() }),
  );
  try {
    let synced = 0;
    const syncs = providers.map((p) => p.whenSynced().then(() => synced++));
    await within(Promise.all(syncs), SYNC_TIMEOUT_MS, "documents did not sync in time").catch(
      (err) => {
        throw new Error(`${err.message}: ${synced} of ${docs.length} synced`);
      },
    );
    const ms = performance.now() - started;
    // Synced means the server's step 2 was applied: a warm open's documents hold the marker now.
    const text = (p) => p.doc.getText(MARKER_TEXT).toString();
    const verified = expect === null ? null : providers.every((p) => text(p) === expect);
    if (write !== null) {
      for (const p of providers) p.doc.getText(MARKER_TEXT).insert(0, write);
      const saves = Promise.all(providers.map((p) => p.whenSaved()));
      await within(saves, SAVE_TIMEOUT_MS, "markers were not acknowledged as stored in time");
    }
    return { ms, verified };
  } finally {
    await (client ? client.destroy() : Promise.all(providers.map((p) => p.destroy())));
  }
}

/** muxOpen row: the documents over one SyncClient socket to `/mux` (server.base is ws:// or http://). */
export const openSdkMux = (server, params) => openDocs(server.base, true, params);
/** muxOpen row: one SyncProvider, with its own socket, per document on `/sync`. */
export const openSdkDirect = (server, params) => openDocs(server.base, false, params);

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
  const runId = Date.now();
  const ids = (tag, round) =>
    Array.from(
      { length: docs },
      (_, i) => `sdkopen-${tag}-${runId}-${reopen ? "same" : round}-${i}`,
    );
  const paths = {
    mux: async (round) => (await openDocs(base, true, { docs: ids("mux", round) })).ms,
    direct: async (round) => (await openDocs(base, false, { docs: ids("direct", round) })).ms,
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
