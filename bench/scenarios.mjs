// The benchmark scenarios, each a named, parameterised function that drives one target on a running
// server (see lib/servers.mjs) through a load generator in its own process and returns one sample.
import { TARGETS } from "./lib/servers.mjs";
import { prepareFrames } from "./lib/frames.mjs";
import { runLoad, tell } from "./lib/load.mjs";
import { openSdkDirect, openSdkMux } from "./mux/sdk-open.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** In the durability scenario, a server whose reader gets nothing is killed after this many killAfterMs. */
const KILL_FALLBACK_FACTOR = 4;
let docCounter = 0;
/** A document id never used before in this run. */
export const freshDoc = (prefix) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${docCounter++}`;

export const DEFAULTS = {
  trace: "automerge-paper",
  /**
   * Transactions replayed one per message (0 = the whole trace); a prefix keeps the run short. At
   * 20,000 edgesync's run lasted ~0.5 s and one hiccup of the shared machine moved its rate by 20%.
   */
  replayTxns: 100_000,
  /** Transactions per message in the batched replay, which always covers the whole trace. */
  batch: 10,
  fanoutReaders: 50,
  fanoutRate: 100,
  fanoutSeconds: 10,
  /** Wait after the cold-load replay so debounced peers have saved (their max debounce is 10 s). */
  persistGraceMs: 12_000,
  /** Time from the reader's first received update to the SIGKILL in the durability scenario. */
  killAfterMs: 5_000,
  /** Fairness: the typist's keystrokes per second and seconds; five paced flooders' frames/s each. */
  fairnessTypingRate: 20,
  fairnessSeconds: 10,
  fairnessFloodRate: 900,
  memoryDocs: 200,
  /** Transactions of the trace written into each document of the memory scenario. */
  memoryDocTxns: 2_000,
  /** Idle time before checking whether documents left memory (DOs hibernate after ~10 s). */
  idleMs: 15_000,
  /** Wait after opening (or closing) documents before reading memory. */
  settleMs: 2_000,
  /** Documents opened at once in the multiplexed-open scenario. */
  muxDocs: 100,
};

/**
 * The rows of the multiplexed-open scenario: a target and how its client opens the documents
 * (load/muxopen.mjs's `client`), or `open(server, { docs, write, expect })` → `{ ms, verified }`
 * run in the driver's process: our SDK's rows (mux/sdk-open.mjs, the SDK bundled from source).
 */
export const MUX_OPEN_ROWS = [
  // 100 y-websocket WebsocketProviders, one socket each, to /sync/:id.
  { name: "edgesync-sync-sockets", target: "edgesync", client: "y-websocket" },
  // 100 @hocuspocus/provider over one HocuspocusProviderWebsocket: edgesync's relay, then Hocuspocus.
  {
    name: "edgesync-hocuspocus-1-socket",
    target: "edgesync-hocuspocus",
    client: "hocuspocus-shared",
  },
  { name: "hocuspocus-1-socket", target: "hocuspocus", client: "hocuspocus-shared" },
  // Our SDK: one SyncClient, its providers sharing one socket to /mux.
  { name: "edgesync-sdk-mux-1-socket", target: "edgesync", open: openSdkMux },
  // Our SDK: 100 SyncProviders, one socket each, to /sync/:id.
  { name: "edgesync-sdk-100-sockets", target: "edgesync", open: openSdkDirect },
];

/** The marker written into every document by the fresh open, which the warm open must find. */
const MUX_MARKER = "opened once";

/**
 * Multiplexed open: time until `muxDocs` new documents are all synced (`freshMs`), each then
 * given a marker; then the same documents opened again right after (`warmMs`, marker checked).
 */
export async function muxOpen(server, row, { muxDocs }) {
  const docs = Array.from({ length: muxDocs }, () => freshDoc("muxopen"));
  const open =
    row.open ??
    ((srv, params) =>
      runLoad("muxopen", {
        client: row.client,
        url: TARGETS[row.target].provider(srv.base).url,
        ...params,
      }));
  const fresh = await open(server, { docs, write: MUX_MARKER, expect: null });
  const warm = await open(server, { docs, write: null, expect: MUX_MARKER });
  return { freshMs: fresh.ms, warmMs: warm.ms, docs: muxDocs, verified: warm.verified };
}

/** Keystroke replay: messages/s until the reader sees the end marker; text checked afterwards. */
export async function keystrokeReplay(server, targetName, { trace, batch, txns }) {
  const target = TARGETS[targetName];
  const frames = prepareFrames(trace, batch, txns);
  const doc = freshDoc(`replay-b${batch}`);
  const url = target.socketUrl(server.base, doc);
  const result = await runLoad("replay", {
    writerUrl: url,
    readerUrl: url,
    protocol: target.protocol,
    doc,
    framesFile: frames.file,
    expectedFile: frames.expectedFile,
    endProbe: target.endProbe,
    mode: "throughput",
  });
  if (targetName === "edgesync") {
    // How the frames were grouped into batches (one transaction, log row and broadcast each).
    const meta = await fetch(
      `${server.base.replace(/^ws/, "http")}/v1/docs/${encodeURIComponent(doc)}`,
    )
      .then((r) => r.json())
      .catch(() => null);
    if (meta?.batches) result.batches = meta.batches;
  }
  return result;
}

/**
 * Fan-out: one writer at `rate` updates/s for `seconds`, `readers` real providers; latency in ms.
 * `deflate: false`: the providers' sockets do not offer permessage-deflate (see load/fanout.mjs).
 */
export async function fanOut(server, targetName, { readers, rate, seconds, deflate = true }) {
  const target = TARGETS[targetName];
  return runLoad("fanout", {
    provider: target.provider(server.base),
    doc: freshDoc("fanout"),
    readers,
    rate,
    seconds,
    deflate,
  });
}

/**
 * Cold load: replays the whole trace (batched) into one document and waits `persistGraceMs`;
 * then, `repeats` times, SIGKILLs and restarts the server and times a fresh client's load.
 */
export async function coldLoad(server, targetName, { trace, batch, persistGraceMs, repeats }) {
  const target = TARGETS[targetName];
  const frames = prepareFrames(trace, batch, 0);
  const doc = freshDoc("cold");
  const url = target.socketUrl(server.base, doc);
  const replay = await runLoad("replay", {
    writerUrl: url,
    readerUrl: url,
    protocol: target.protocol,
    doc,
    framesFile: frames.file,
    expectedFile: frames.expectedFile,
    endProbe: target.endProbe,
    mode: "throughput",
  });
  if (!replay.verified) throw new Error(`${targetName}: cold-load replay did not converge`);
  await sleep(persistGraceMs);
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    await server.restart();
    samples.push(
      await runLoad("coldload", {
        url,
        protocol: target.protocol,
        doc,
        expectedFile: frames.expectedFile,
      }),
    );
  }
  return samples;
}

/**
 * Durability: replays the whole trace one transaction per message, SIGKILLs the server
 * `killAfterMs` after the reader got its first update (so every server has had the same time
 * of flowing updates), restarts it, and counts updates a reader had received that storage lacks.
 */
export async function durability(server, targetName, { trace, killAfterMs }) {
  const target = TARGETS[targetName];
  const frames = prepareFrames(trace, 1, 0);
  const doc = freshDoc("durability");
  const url = target.socketUrl(server.base, doc);
  let killed = null;
  let fallback = null;
  const killOnce = () => (killed ??= server.kill());
  return runLoad(
    "replay",
    {
      writerUrl: url,
      readerUrl: url,
      protocol: target.protocol,
      doc,
      framesFile: frames.file,
      expectedFile: frames.expectedFile,
      endProbe: target.endProbe,
      mode: "durability",
    },
    async (kind, _value, child) => {
      if (kind === "started") {
        // A server that never delivers anything is killed anyway, later.
        fallback = setTimeout(killOnce, killAfterMs * KILL_FALLBACK_FACTOR);
      } else if (kind === "receiving") {
        clearTimeout(fallback);
        await sleep(killAfterMs);
        await killOnce();
      } else if (kind === "closed") {
        await killOnce();
        await server.restart();
        tell(child, "restarted");
      }
    },
  );
}

/**
 * Memory and idle: server memory (MB over the idle server) with `docs` open documents; round trips
 * while warm and after `idleMs` idle (a slow one means the document was reloaded); memory after
 * idling and after closing. `constructed` (bare baseline only) counts Durable Object constructions.
 */
export async function memoryIdle(server, targetName, { trace, docs, docTxns, idleMs, settleMs }) {
  const target = TARGETS[targetName];
  const frames = prepareFrames(trace, docTxns, docTxns);
  const ids = Array.from({ length: docs }, () => freshDoc("mem"));
  const mb = () => server.rss() / 1e6;
  const constructed = async () =>
    target.server === "baseline"
      ? (await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json()).constructed
      : null;
  const out = { idleServerMB: mb() };
  await runLoad(
    "docs",
    {
      urls: ids.map((d) => target.socketUrl(server.base, d)),
      docs: ids,
      protocol: target.protocol,
      framesFile: frames.file,
    },
    async (kind, value, child) => {
      if (kind === "opened") {
        await sleep(settleMs);
        out.openMB = mb() - out.idleServerMB;
        tell(child, "poke");
      } else if (kind === "poked" && out.warmPokeMs === undefined) {
        out.warmPokeMs = value.p50;
        out.constructedWarm = await constructed();
        await sleep(idleMs);
        out.idleOpenMB = mb() - out.idleServerMB;
        tell(child, "poke");
      } else if (kind === "poked") {
        out.idlePokeMs = value.p50;
        out.constructedAfterIdle = await constructed();
        tell(child, "close");
      }
    },
  );
  await sleep(idleMs);
  out.closedMB = mb() - out.idleServerMB;
  return out;
}

/**
 * Fairness: a typist's keystroke latency to a reader (p50/p99, ms) on a document alone, with five
 * sockets each sending `floodRate` updates/s (under edgesync's default per-socket limit), and with
 * one socket sending as fast as it can. Runs against a server with the default limits.
 */
export async function fairness(
  server,
  targetName,
  { fairnessTypingRate: rate, fairnessSeconds: seconds, fairnessFloodRate: floodRate },
) {
  const target = TARGETS[targetName];
  const out = {};
  for (const [phase, flood] of [
    ["alone", null],
    ["five", { sockets: 5, rate: floodRate, seconds }],
    ["flooder", { sockets: 1, rate: 0, seconds }],
  ]) {
    const doc = freshDoc(`fair-${phase}`);
    const url = target.socketUrl(server.base, doc);
    let flooder = null;
    let started = () => {};
    const ready = new Promise((resolve) => (started = resolve));
    const flooded =
      flood &&
      runLoad("fairness", { role: "flood", url, doc, ...flood }, (kind, _value, child) => {
        if (kind === "started") {
          flooder = child;
          started();
        }
      });
    if (flood) {
      await ready;
      await sleep(1_000);
    }
    const typed = await runLoad("fairness", { role: "typist", url, doc, rate, seconds });
    if (flooder) tell(flooder, "stop");
    out[phase] = { ...typed, flood: flooded ? await flooded : null };
  }
  return out;
}
