// Load generator for memory and idle: opens one socket per document on N documents, writes a
// small document into each, then on the driver's word pokes them (after idling) or closes them.
import { performance } from "node:perf_hooks";
import { readFrames } from "../lib/frames.mjs";
import { greet, nextLine, openSocket, report } from "../lib/sockets.mjs";
import { updateFrame } from "../lib/protocol.mjs";

/** Text probe the bare baseline echoes (it speaks no sync protocol). */
const ECHO_PROBE = "bench-poke";
/** Documents opened at once. */
const OPEN_CONCURRENCY = 20;

const cfg = config(); // { urls: [..], docs: [..], protocol, framesFile }
function config() {
  return JSON.parse(process.argv[2]);
}
const [content] = readFrames(cfg.framesFile);

/** One round trip on every socket: step 1 → step 2, or the bare baseline's text echo. */
async function roundTrip(ws, i) {
  if (cfg.protocol !== "raw") return greet(ws, cfg.protocol, cfg.docs[i]);
  return new Promise((resolve) => {
    ws.once("message", resolve);
    ws.send(ECHO_PROBE);
  });
}

const sockets = new Array(cfg.urls.length);
for (let from = 0; from < sockets.length; from += OPEN_CONCURRENCY) {
  await Promise.all(
    cfg.urls.slice(from, from + OPEN_CONCURRENCY).map(async (url, k) => {
      const i = from + k;
      const ws = await openSocket(url);
      await greet(ws, cfg.protocol, cfg.docs[i]);
      ws.send(updateFrame(cfg.protocol, cfg.docs[i], content));
      await roundTrip(ws, i); // handled in order: the document now holds `content`
      sockets[i] = ws;
    }),
  );
}
report("opened", { docs: sockets.length });

for (;;) {
  const line = await nextLine();
  if (line === "poke") {
    const times = await Promise.all(
      sockets.map(async (ws, i) => {
        const start = performance.now();
        await roundTrip(ws, i);
        return performance.now() - start;
      }),
    );
    times.sort((a, b) => a - b);
    report("poked", { p50: times[Math.floor(times.length / 2)], max: times[times.length - 1] });
  } else if (line === "close") {
    for (const ws of sockets) ws.close();
    report("result", { closed: sockets.length });
    setTimeout(() => process.exit(0), 500);
    break;
  }
}
