// Load generator for keystroke replay and durability: one socket sends pre-encoded update frames
// (respecting backpressure), another only scans incoming bytes for the end marker; checks come after.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import { END_MARKER, TEXT_NAME, readFrames } from "../lib/frames.mjs";
import { docFromFrames, keepAliveFrame, updateFrame } from "../lib/protocol.mjs";
import { config, greet, nextLine, openSocket, report, sendAll } from "../lib/sockets.mjs";

/** The text probe a receive-only server echoes once every frame before it was handled. */
const ECHO_PROBE = "bench-end-probe";
/** Longest wait for the end marker after the last frame was sent. */
const END_TIMEOUT_MS = 600_000;

const cfg = config(); // { writerUrl, readerUrl, protocol, doc, framesFile, expectedFile, endProbe, mode }
const updates = readFrames(cfg.framesFile);
const frames = updates.map((u) => updateFrame(cfg.protocol, cfg.doc, u)); // encoded before the clock
const data = frames.slice(0, -1);
const marker = frames[frames.length - 1];
const markerBytes = Buffer.from(END_MARKER);

const received = [];
let endAt = null;
let onEnd = () => {};
const ended = new Promise((resolve) => (onEnd = resolve));

const reader = cfg.endProbe === "marker" ? await openSocket(cfg.readerUrl) : null;
const writer = await openSocket(cfg.writerUrl);
if (reader) await greet(reader, cfg.protocol, cfg.doc);
/** How often a reader that would otherwise send nothing tells the server it is alive (see keepAliveFrame). */
const KEEP_ALIVE_MS = 10_000;
const keepAlive = keepAliveFrame(cfg.protocol, cfg.doc);
if (reader && keepAlive)
  setInterval(
    () => reader.readyState === reader.OPEN && reader.send(keepAlive),
    KEEP_ALIVE_MS,
  ).unref();
await greet(writer, cfg.protocol, cfg.doc);
reader?.on("message", (buf, isBinary) => {
  if (!isBinary) return;
  if (received.length === 0 && cfg.mode === "durability") report("receiving", {});
  received.push(buf);
  if (endAt === null && buf.indexOf(markerBytes) !== -1) {
    endAt = performance.now();
    onEnd();
  }
});
writer.on("message", (buf, isBinary) => {
  if (!isBinary && cfg.endProbe === "echo" && buf.toString() === ECHO_PROBE) {
    endAt = performance.now();
    onEnd();
  }
});
const closed = (ws) => new Promise((resolve) => (ws ? ws.once("close", resolve) : resolve()));

if (cfg.mode === "durability") {
  // The driver SIGKILLs the server mid-replay, restarts it and tells us; then we count losses.
  let sent = 0;
  report("started", {});
  await Promise.all([sendAll(writer, data, (n) => (sent = n)), closed(writer), closed(reader)]);
  report("closed", { sent });
  await nextLine(); // "restarted"
  const fresh = await openSocket(cfg.readerUrl);
  const stored = new Y.Doc();
  Y.applyUpdate(stored, await greet(fresh, cfg.protocol, cfg.doc));
  fresh.close();
  const got = docFromFrames(cfg.protocol, received);
  const gotSnap = Y.snapshot(got);
  const storedSnap = Y.snapshot(stored);
  let receivedCount = 0;
  let lost = 0;
  for (let i = 0; i < sent; i++) {
    if (!Y.snapshotContainsUpdate(gotSnap, updates[i])) continue;
    receivedCount++;
    if (!Y.snapshotContainsUpdate(storedSnap, updates[i])) lost++;
  }
  report("result", {
    sent,
    received: receivedCount,
    lost,
    storedChars: stored.getText(TEXT_NAME).length,
  });
  process.exit(0);
}

// A socket the server closes before the end marker arrived ends the run with the close code.
for (const [role, ws] of [
  ["writer", writer],
  ["reader", reader],
]) {
  ws?.on("close", (code, reason) => {
    if (endAt !== null) return;
    report("error", {
      message: `${role} socket closed by the server before the end: ${code} ${reason}`,
    });
    process.exit(1);
  });
}
const startAt = performance.now();
await sendAll(writer, data);
writer.send(marker);
if (cfg.endProbe === "echo") writer.send(ECHO_PROBE);
const timeout = setTimeout(() => {
  report("error", { message: `no end marker within ${END_TIMEOUT_MS} ms` });
  process.exit(1);
}, END_TIMEOUT_MS);
await ended;
clearTimeout(timeout);
const seconds = (endAt - startAt) / 1000;
// The clock has stopped: now decode what the reader got and check it.
let verified = null;
if (reader) {
  const text = docFromFrames(cfg.protocol, received).getText(TEXT_NAME).toString();
  verified = text === readFileSync(cfg.expectedFile, "utf8");
}
writer.close();
reader?.close();
report("result", { messages: data.length, seconds, rate: data.length / seconds, verified });
process.exit(0);
