// Load generator for the fairness scenario. role "typist": one socket types `rate` keystrokes/s
// for `seconds` while a reader times each one's arrival (p50/p99 latency). role "flood": `sockets`
// sockets each send updates at `rate` frames/s (0 = as fast as the socket takes them) until stopped,
// then report how each was closed; with `awareness: true` each sends awareness updates of its own
// client id instead (a cursor moving), which the server relays to every socket; `frames` sets how
// many each socket has encoded up front.
import { performance } from "node:perf_hooks";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { updateFrame } from "../lib/protocol.mjs";
import { config, greet, nextLine, openSocket, report, sendAll } from "../lib/sockets.mjs";

/** Frames a full-speed flooder has encoded up front (it stops when they run out). */
const FULL_SPEED_FRAMES = 100_000;
/** Seconds of frames a paced flooder has beyond the typist's run. */
const PACED_SPARE_SECONDS = 15;
/** Interval of a paced flooder's sends. */
const TICK_MS = 10;

const KEY = Buffer.from("k");
const cfg = config(); // { role, url, doc, rate, seconds, sockets }

/** `count` update frames, each one keystroke (`key(i)`) at the end of the text `name`. */
function keystrokes(name, count, key = () => "x") {
  const doc = new Y.Doc();
  const frames = [];
  doc.on("update", (u) => frames.push(updateFrame("y-websocket", cfg.doc, u)));
  const text = doc.getText(name);
  for (let i = 0; i < count; i++) text.insert(text.length, key(i));
  return frames;
}

/** `count` awareness frames of one client moving its cursor (y-websocket message type 1). */
function cursorMoves(count) {
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  clearInterval(awareness._checkInterval); // no timers left behind in the flooder
  const frames = [];
  for (let i = 0; i < count; i++) {
    awareness.setLocalState({ cursor: { anchor: i, head: i }, user: { name: "flooder" } });
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const frame = new Uint8Array(update.length + 4);
    const head = Buffer.from([1, ...varUint(update.length)]);
    frame.set(head, 0);
    frame.set(update, head.length);
    frames.push(frame.subarray(0, head.length + update.length));
  }
  return frames;
}

function varUint(n) {
  const out = [];
  while (n > 127) (out.push((n & 127) | 128), (n >>>= 7));
  out.push(n);
  return out;
}

if (cfg.role === "typist") {
  const reader = await openSocket(cfg.url);
  const typist = await openSocket(cfg.url);
  await greet(reader, "y-websocket", cfg.doc);
  await greet(typist, "y-websocket", cfg.doc);
  const count = cfg.rate * cfg.seconds;
  const frames = keystrokes("typed", count, (i) => `k${i};`);
  const sentAt = [];
  const latencies = [];
  const closes = {};
  for (const [name, ws] of [
    ["reader", reader],
    ["typist", typist],
  ])
    ws.on("close", (code) => (closes[name] = code));
  // Each keystroke is the text "k<n>;": the reader finds them in the raw bytes it receives,
  // so it decodes none of the flood (which only types "x") and its own CPU does not skew the timing.
  const seen = new Set();
  reader.on("message", (buf, isBinary) => {
    if (!isBinary || buf.indexOf(KEY) === -1) return;
    const now = performance.now();
    for (const m of buf.toString("latin1").matchAll(/k(\d+);/g)) {
      const n = Number(m[1]);
      if (seen.has(n) || sentAt[n] === undefined) continue;
      seen.add(n);
      latencies.push(now - sentAt[n]);
    }
  });
  for (let i = 0; i < count && typist.readyState === typist.OPEN; i++) {
    sentAt.push(performance.now());
    typist.send(frames[i]);
    await new Promise((r) => setTimeout(r, 1000 / cfg.rate));
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < sentAt.length && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  report("result", {
    sent: sentAt.length,
    received: latencies.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: Math.max(...latencies),
    closes,
  });
  process.exit(0);
} else {
  const sockets = await Promise.all(Array.from({ length: cfg.sockets }, () => openSocket(cfg.url)));
  const closes = [];
  const sent = sockets.map(() => 0);
  sockets.forEach((ws) =>
    ws.on("close", (code) => {
      closes.push(code);
      report("closed", { code });
    }),
  );
  // Encoded before "started": encoding blocks the event loop, and the flood must not pause.
  const count =
    cfg.frames ??
    (cfg.rate === 0 ? FULL_SPEED_FRAMES : cfg.rate * (cfg.seconds + PACED_SPARE_SECONDS));
  const frames = sockets.map((_, i) =>
    cfg.awareness ? cursorMoves(count) : keystrokes(`flood${i}`, count),
  );
  const stop = nextLine();
  report("started", {});
  sockets.forEach((ws, i) => {
    if (cfg.rate === 0) {
      void sendAll(ws, frames[i], (n) => (sent[i] = n));
      return;
    }
    const perTick = (cfg.rate * TICK_MS) / 1000;
    const timer = setInterval(() => {
      if (ws.readyState !== ws.OPEN || sent[i] >= frames[i].length) return clearInterval(timer);
      for (let k = 0; k < perTick; k++) ws.send(frames[i][sent[i]++]);
    }, TICK_MS);
  });
  await stop;
  report("result", { sent, closes });
  process.exit(0);
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}
