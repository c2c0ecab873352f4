// Phase-1 measurement of the Hocuspocus relay (docs/multiplexing.md): update→echo latency through
// the Worker relay (/hocuspocus) against a direct y-websocket socket (/sync/:id), and the
// runtime's memory with 100 documents open over one socket vs 100 sockets. Fan-out to 50 readers
// and opening 100 documents are the driver's `muxFanout` and `muxOpen` scenarios (real providers,
// next to Hocuspocus's own server). Run against a server started with `npm start -- --port P`:
//   node bench/mux/relay-latency.mjs http://127.0.0.1:P [workerdPid]
import { readFileSync } from "node:fs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as Y from "yjs";

const base = process.argv[2] ?? "http://127.0.0.1:8791";
const pid = process.argv[3];
const ws = base.replace(/^http/, "ws");
/** Updates timed per scenario (sequential: the next is sent when the previous arrived). */
const ROUNDS = Number(process.env.ROUNDS ?? 200);
/** Documents in the memory scenario. */
const DOCS = 100;

const enc = (write) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const open = (url) =>
  new Promise((resolve, reject) => {
    const s = new WebSocket(url);
    s.binaryType = "arraybuffer";
    s.once("open", () => resolve(s));
    s.once("error", reject);
  });

/** A y-websocket peer: resolves on the frames it is waiting for. */
async function directPeer(doc) {
  const s = await open(`${ws}/sync/${doc}?ext=1`);
  const peer = { s, waiters: [], send: (f) => s.send(f) };
  s.on("message", (d) => {
    const u = new Uint8Array(d);
    const dec = decoding.createDecoder(u);
    const type = decoding.readVarUint(dec);
    const sub = type === 0 ? decoding.readVarUint(dec) : -1;
    for (const w of peer.waiters.splice(0)) if (!w(type, sub)) peer.waiters.push(w);
  });
  peer.sendUpdate = (u) =>
    s.send(
      enc(
        (e) => (
          encoding.writeVarUint(e, 0),
          encoding.writeVarUint(e, 2),
          encoding.writeVarUint8Array(e, u)
        ),
      ),
    );
  peer.sendSaved = (n) =>
    s.send(enc((e) => (encoding.writeVarUint(e, 100), encoding.writeVarUint(e, n))));
  return peer;
}

/** A Hocuspocus peer with one document attached (auth, then sync step 1, as providers do). */
async function relayPeer(doc, socket) {
  const s = socket ?? (await open(`${ws}/hocuspocus`));
  const peer = { s, waiters: [] };
  s.on("message", (d) => {
    const u = new Uint8Array(d);
    const dec = decoding.createDecoder(u);
    if (decoding.readVarString(dec) !== doc) return;
    const type = decoding.readVarUint(dec);
    const sub = type === 0 ? decoding.readVarUint(dec) : -1;
    for (const w of peer.waiters.splice(0)) if (!w(type, sub)) peer.waiters.push(w);
  });
  const frame = (type, write) =>
    enc((e) => (encoding.writeVarString(e, doc), encoding.writeVarUint(e, type), write?.(e)));
  const synced = until(peer, (t, sub) => t === 0 && sub === 1);
  s.send(frame(2, (e) => (encoding.writeVarUint(e, 0), encoding.writeVarString(e, "dev"))));
  s.send(
    frame(
      0,
      (e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint8Array(e, new Uint8Array([0]))),
    ),
  );
  await synced;
  peer.sendUpdate = (u) =>
    s.send(frame(0, (e) => (encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, u))));
  return peer;
}

const until = (peer, match) =>
  new Promise((resolve) =>
    peer.waiters.push((t, sub) => (match(t, sub) ? (resolve(), true) : false)),
  );
const isUpdate = (t, sub) => t === 0 && sub === 2;

function updates(n) {
  const doc = new Y.Doc();
  const out = [];
  doc.on("update", (u) => out.push(u));
  for (let i = 0; i < n; i++) doc.getText("t").insert(i, "x");
  return out;
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
  return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (n=${s.length})`;
}

async function echo(label, writer, readers, saved) {
  const times = [];
  const savedTimes = [];
  const list = updates(ROUNDS + 10);
  for (let i = 0; i < list.length; i++) {
    const arrived = Promise.all(readers.map((r) => until(r, isUpdate)));
    const stored = saved ? saved.wait() : null;
    const t0 = performance.now();
    writer.sendUpdate(list[i]);
    saved?.ask(i + 1);
    await arrived;
    const t1 = performance.now();
    if (stored) await stored;
    if (i >= 10) {
      times.push(t1 - t0); // the first few warm the path up
      if (stored) savedTimes.push(performance.now() - t0);
    }
  }
  console.log(`${label}: update→all ${readers.length} reader(s) ${stats(times)}`);
  if (saved) console.log(`${label}: update→stored ack ${stats(savedTimes)}`);
}

function rss() {
  if (!pid) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return Number(line[1]) / 1024;
}

const tag = Date.now().toString(36);
{
  const doc = `lat-direct-${tag}`;
  const w = await directPeer(doc);
  const r = await directPeer(doc);
  await new Promise((res) => setTimeout(res, 300));
  const saved = { ask: (n) => w.sendSaved(n), wait: () => until(w, (t) => t === 100) };
  await echo("direct /sync", w, [r], saved);
  w.s.close();
  r.s.close();
}
{
  const doc = `lat-relay-${tag}`;
  const w = await relayPeer(doc);
  const r = await relayPeer(doc);
  const saved = { ask: () => {}, wait: () => until(w, (t) => t === 8) };
  await echo("relay /hocuspocus", w, [r], saved);
  w.s.close();
  r.s.close();
}
await new Promise((res) => setTimeout(res, 2000));
{
  const before = rss();
  const peers = [];
  for (let i = 0; i < DOCS; i++) peers.push(await directPeer(`mem-direct-${tag}-${i}`));
  await new Promise((res) => setTimeout(res, 2000));
  console.log(
    `${DOCS} documents over ${DOCS} direct sockets: runtime RSS ${before.toFixed(0)} → ${rss().toFixed(0)} MB`,
  );
  peers.forEach((p) => p.s.close());
}
await new Promise((res) => setTimeout(res, 2000));
{
  const before = rss();
  const socket = await open(`${ws}/hocuspocus`);
  socket.setMaxListeners(DOCS + 10);
  for (let i = 0; i < DOCS; i++) await relayPeer(`mem-relay-${tag}-${i}`, socket);
  await new Promise((res) => setTimeout(res, 2000));
  console.log(
    `${DOCS} documents over one /hocuspocus socket: runtime RSS ${before.toFixed(0)} → ${rss().toFixed(0)} MB`,
  );
  socket.close();
}
process.exit(0);
