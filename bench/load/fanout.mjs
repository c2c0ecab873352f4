// Load generator for fan-out latency: one writer and N readers, each a real provider with its own
// socket (y-websocket's WebsocketProvider or @hocuspocus/provider); latency from send to observe.
// `deflate: false` makes the y-websocket providers' sockets not offer permessage-deflate (stock
// `ws` clients and browsers offer it; the Node servers here decline it, wrangler dev accepts it).
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { HocuspocusProvider } from "@hocuspocus/provider";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { config, report } from "../lib/sockets.mjs";

/** How long all providers may take to connect and sync. */
const SYNC_TIMEOUT_MS = 20_000;
/** How long to wait, after the last write, for stragglers before counting them as missing. */
const DRAIN_MS = 5_000;
/** Name of the shared array the writer appends sequence numbers to. */
const ARRAY_NAME = "fanout";

/** Writes sent in the first second, left out of `p99Steady` (the first ones meet cold code paths). */
const WARMUP_MS = 1_000;

const cfg = config(); // { provider: { kind, url, params? }, doc, readers, rate, seconds, deflate }

/** Frames received by every provider's socket, to tell when the join traffic has died down. */
let framesIn = 0;
/** How long no frame may arrive before the writes start, and the longest wait for that. */
const QUIET_MS = 300;
const SETTLE_TIMEOUT_MS = 20_000;

/** `ws` counting the frames it receives. */
class CountingWebSocket extends WebSocket {
  constructor(url, protocols, options) {
    super(url, protocols, options);
    this.on("message", () => framesIn++);
  }
}

/** The same with permessage-deflate not offered, for `deflate: false`. */
class PlainWebSocket extends CountingWebSocket {
  constructor(url, protocols, options) {
    super(url, protocols, { ...options, perMessageDeflate: false });
  }
}

function connect(doc) {
  if (cfg.provider.kind === "hocuspocus") {
    // Stock: Node's built-in WebSocket. Without deflate, `ws` not offering it, as y-websocket's.
    const socket = cfg.deflate === false ? { WebSocketPolyfill: PlainWebSocket } : {};
    const p = new HocuspocusProvider({
      url: cfg.provider.url,
      name: cfg.doc,
      document: doc,
      ...socket,
    });
    return { synced: () => p.synced, destroy: () => p.destroy(), extensions: () => null };
  }
  const WebSocketPolyfill = cfg.deflate === false ? PlainWebSocket : CountingWebSocket;
  const p = new WebsocketProvider(cfg.provider.url, cfg.doc, doc, {
    WebSocketPolyfill,
    disableBc: true,
    params: cfg.provider.params ?? {},
  });
  return {
    synced: () => p.synced,
    destroy: () => p.destroy(),
    extensions: () => p.ws?.extensions ?? null,
  };
}

const sentAt = [];
const latencies = [];
/** FANOUT_DUMP: a file for each write's send time and its slowest and fastest reader's latency. */
const DUMP = process.env.FANOUT_DUMP;
/** Latencies per write, kept only for DUMP. */
const bySeq = [];
const steady = [];
let start = 0;
const writerDoc = new Y.Doc();
const clients = [connect(writerDoc)];
for (let r = 0; r < cfg.readers; r++) {
  const doc = new Y.Doc();
  doc.getArray(ARRAY_NAME).observe((event) => {
    const now = performance.now();
    for (const item of event.changes.added) {
      for (const seq of item.content.getContent()) {
        latencies.push(now - sentAt[seq]);
        if (DUMP) (bySeq[seq] ??= []).push(now - sentAt[seq]);
        if (sentAt[seq] - start >= WARMUP_MS) steady.push(now - sentAt[seq]);
      }
    }
  });
  clients.push(connect(doc));
}
const deadline = Date.now() + SYNC_TIMEOUT_MS;
while (!clients.every((c) => c.synced())) {
  if (Date.now() > deadline) {
    report("error", { message: "providers did not sync in time" });
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 50));
}
// Synced is not quiet: awareness from the later joins is still reaching the earlier ones when
// the last provider has synced (and when the bare relays relayed every sync step 1, that join
// storm overlapped the writes for seconds). Writes start once no frame has arrived for QUIET_MS
// (the Hocuspocus provider's sockets are not counted).
const settleStart = performance.now();
for (let seen = -1; seen !== framesIn && performance.now() - settleStart < SETTLE_TIMEOUT_MS;) {
  seen = framesIn;
  await new Promise((r) => setTimeout(r, QUIET_MS));
}
const settleMs = performance.now() - settleStart;

const total = Math.round(cfg.rate * cfg.seconds);
const interval = 1000 / cfg.rate;
const negotiated = clients[0].extensions();
start = performance.now();
const array = writerDoc.getArray(ARRAY_NAME);
for (let seq = 0; seq < total; seq++) {
  // Absolute schedule, so a late tick does not slow the rate down.
  const wait = start + seq * interval - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  sentAt[seq] = performance.now();
  array.push([seq]);
}
const expected = total * cfg.readers;
const drainUntil = performance.now() + DRAIN_MS;
while (latencies.length < expected && performance.now() < drainUntil)
  await new Promise((r) => setTimeout(r, 20));
for (const c of clients) c.destroy();
if (DUMP) {
  const rows = sentAt.map((t, seq) => [
    Math.round(t - start),
    Math.max(...(bySeq[seq] ?? [NaN])),
    Math.min(...(bySeq[seq] ?? [NaN])),
  ]);
  writeFileSync(DUMP, JSON.stringify(rows));
}

const percentile = (values, p) => {
  const sorted = Float64Array.from(values).sort();
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
    : null;
};
report("result", {
  delivered: latencies.length,
  expected,
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  max: percentile(latencies, 100),
  p99Steady: percentile(steady, 99),
  settleMs,
  // The writer's socket's negotiated extensions (y-websocket providers only): "" or "permessage-deflate".
  ...(negotiated !== null ? { deflate: negotiated.includes("permessage-deflate") } : {}),
});
process.exit(0);
