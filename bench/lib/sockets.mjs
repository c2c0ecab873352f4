// WebSocket helpers for the load generators: open, greet (sync step 1, waiting for step 2), send
// with backpressure, and a small line protocol to the driver over stdin/stdout.
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { helloFrames, readFrame } from "./protocol.mjs";

/** Bytes queued in a socket before the sender waits for them to reach the kernel. */
export const HIGH_WATER_BYTES = 1 << 20;
/** Frames sent between yields to the event loop, so the reading socket is served meanwhile. */
export const YIELD_EVERY_FRAMES = 256;
/** How long opening a socket or completing the sync greeting may take. */
export const GREETING_TIMEOUT_MS = 30_000;

export function openSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    ws.binaryType = "nodebuffer";
    const timer = setTimeout(
      () => reject(new Error(`opening ${url} timed out`)),
      GREETING_TIMEOUT_MS,
    );
    ws.once("open", () => (clearTimeout(timer), resolve(ws)));
    ws.once("error", (err) => (clearTimeout(timer), reject(err)));
  });
}

/** Sends the protocol's greeting and resolves with the server's sync step 2 (null for raw). */
export function greet(ws, protocol, doc) {
  if (protocol === "raw") return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("no sync step 2 from server")),
      GREETING_TIMEOUT_MS,
    );
    const onMessage = (data, isBinary) => {
      if (!isBinary) return;
      const m = readFrame(protocol, data);
      if (m.kind !== "step2") return;
      clearTimeout(timer);
      ws.off("message", onMessage);
      resolve(m.update);
    };
    ws.on("message", onMessage);
    for (const f of helloFrames(protocol, doc)) ws.send(f);
  });
}

/** Sends every frame in order, waiting whenever more than HIGH_WATER_BYTES are queued. */
export async function sendAll(ws, frames, onSent = () => {}) {
  for (let i = 0; i < frames.length; i++) {
    if (ws.readyState !== WebSocket.OPEN) return i;
    if (ws.bufferedAmount > HIGH_WATER_BYTES) {
      await new Promise((resolve) => ws.send(frames[i], resolve));
    } else {
      ws.send(frames[i]);
      if (i % YIELD_EVERY_FRAMES === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    onSent(i + 1);
  }
  return frames.length;
}

/** Reads the config passed by the driver as the first argument (JSON). */
export function config() {
  return JSON.parse(process.argv[2]);
}

/** Prints one result line for the driver. */
export function report(kind, value) {
  process.stdout.write(`${kind} ${JSON.stringify(value)}\n`);
}

/** Resolves with the next line the driver writes to stdin. */
const lines = [];
const waiters = [];
let reader = null;
export function nextLine() {
  reader ??= createInterface({ input: process.stdin }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  return lines.length
    ? Promise.resolve(lines.shift())
    : new Promise((resolve) => waiters.push(resolve));
}
