// Load generator for fan-out latency: one writer and N readers, each a real provider with its own
// socket (y-websocket's WebsocketProvider or @hocuspocus/provider); latency from send to observe.
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

const cfg = config(); // { provider: { kind, url }, doc, readers, rate, seconds }

function connect(doc) {
  if (cfg.provider.kind === "hocuspocus") {
    const p = new HocuspocusProvider({ url: cfg.provider.url, name: cfg.doc, document: doc });
    return { synced: () => p.synced, destroy: () => p.destroy() };
  }
  const p = new WebsocketProvider(cfg.provider.url, cfg.doc, doc, { WebSocketPolyfill: WebSocket, disableBc: true });
  return { synced: () => p.synced, destroy: () => p.destroy() };
}

const sentAt = [];
const latencies = [];
const writerDoc = new Y.Doc();
const clients = [connect(writerDoc)];
for (let r = 0; r < cfg.readers; r++) {
  const doc = new Y.Doc();
  doc.getArray(ARRAY_NAME).observe((event) => {
    const now = performance.now();
    for (const item of event.changes.added) {
      for (const seq of item.content.getContent()) latencies.push(now - sentAt[seq]);
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

const total = Math.round(cfg.rate * cfg.seconds);
const interval = 1000 / cfg.rate;
const start = performance.now();
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
while (latencies.length < expected && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
for (const c of clients) c.destroy();

const sorted = Float64Array.from(latencies).sort();
const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
report("result", {
  delivered: latencies.length,
  expected,
  p50: pct(50),
  p99: pct(99),
  max: sorted.length ? sorted[sorted.length - 1] : null,
});
process.exit(0);
