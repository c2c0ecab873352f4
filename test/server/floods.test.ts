// Floods beside an honest typist, with the server's default limits: one socket sending updates as
// fast as it can, and five sockets moving their cursors (awareness) as fast as they can. The
// flooders run in their own process (bench/load/fairness.mjs), as in `npm run bench`'s fairness
// scenario, so the typist's timing is not the flooders' event loop. Asserted: the flooders are
// refused with 4529, every keystroke arrives, and the runtime grows < 50 MB; the typist's p99
// quiet and during each flood, measured back to back, is logged for docs/hardening.md (latency
// belongs in figures, not in assertions, on a machine shared with other suites).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { sampleRss, workerdRuntimePid } from "../helpers/process-memory";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";
import { openRaw, typistP99 } from "../helpers/typist";

const FLOODER = fileURLToPath(new URL("../../bench/load/fairness.mjs", import.meta.url));
/** Keystrokes timed in each phase, one every 100 ms (the p99 of 20 is their slowest). */
const KEYSTROKES = 20;
/**
 * How long the flooders may take to be refused once the typist is done: a loaded machine takes
 * the flood's frames slower, so the limits are reached later (at once, usually).
 */
const REFUSAL_WAIT_MS = 20_000;
/** The bound on what an attack may make the runtime grow by. */
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const open = (docId: string) => openRaw(`${server.wsUrl}/${docId}`);

interface FloodResult {
  sent: number[];
  closes: number[];
}

/**
 * Starts bench/load/fairness.mjs's flood role; `stop()` waits up to REFUSAL_WAIT_MS for every
 * flooder to be closed, then ends it and returns its report.
 */
async function startFlood(config: Record<string, unknown>): Promise<() => Promise<FloodResult>> {
  const child = spawn(process.execPath, [FLOODER, JSON.stringify({ role: "flood", ...config })], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let waiting: (() => void) | null = null;
  let pending = "";
  child.stdout.on("data", (d: Buffer) => {
    pending += d.toString();
    for (let nl; (nl = pending.indexOf("\n")) !== -1; pending = pending.slice(nl + 1))
      lines.push(pending.slice(0, nl));
    waiting?.();
  });
  const line = async (kind: string): Promise<string> => {
    for (;;) {
      const found = lines.find((l) => l.startsWith(`${kind} `));
      if (found) return found.slice(kind.length + 1);
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  await line("started");
  const sockets = config.sockets as number;
  return async () => {
    for (const deadline = Date.now() + REFUSAL_WAIT_MS; Date.now() < deadline;) {
      if (lines.filter((l) => l.startsWith("closed ")).length >= sockets) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.stdin.write("stop\n");
    return JSON.parse(await line("result")) as FloodResult;
  };
}

/** The typist's p99 quiet, then during the flood, and the runtime's growth during the flood. */
async function measure(name: string, flood: Record<string, unknown>) {
  const docId = uniqueDocId(name);
  const doc = new Y.Doc();
  const [typist, watcher] = [await open(docId), await open(docId)];
  const quiet = await typistP99(typist, watcher, doc, { keystrokes: KEYSTROKES });
  const before = server.runtimeRss();
  const peak = sampleRss(workerdRuntimePid(server.pid()), 250);
  const stop = await startFlood({ url: `${server.wsUrl}/${docId}`, doc: docId, ...flood });
  // The typist starts with the flood: a full-speed flooder is refused within a second, and what
  // a typist feels is the frames it had in flight by then.
  const busy = await typistP99(typist, watcher, doc, { keystrokes: KEYSTROKES });
  const result = await stop();
  const growth = peak.stop() - before;
  console.log(
    `${name}: typist p99 ${quiet.toFixed(0)} ms quiet, ${busy.toFixed(0)} ms during the flood ` +
      `(${(busy / quiet).toFixed(1)}x); runtime RSS +${(growth / 1e6).toFixed(1)} MB; ` +
      `flooders sent ${result.sent.join(", ")} frames, closed ${result.closes.join(", ")}`,
  );
  for (const ws of [typist, watcher]) {
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  }
  return { result, growth };
}

describe("floods beside a typist", () => {
  it("one socket sending updates at full speed is refused 4529; every keystroke arrives", async () => {
    // 30,000 frames: the flooder is refused after ≈9,000–21,000 of them (the socket's own limit,
    // 10,000 per window, at the latest).
    const flood = { sockets: 1, rate: 0, seconds: 5, frames: 30_000 };
    const { result, growth } = await measure("full-speed", flood);
    expect(result.closes).toEqual([CloseCode.RateLimited]);
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
  }, 120_000);

  it("five sockets moving their cursors at full speed are refused 4529; every keystroke arrives", async () => {
    // The document's message budget refuses them after ≈500–3,000 each; 12,000 each passes the
    // socket's own limit (10,000 per window) too, should the machine take them slowly.
    const flood = { sockets: 5, rate: 0, seconds: 5, awareness: true, frames: 12_000 };
    const { result, growth } = await measure("awareness", flood);
    expect(result.closes).toEqual(Array(5).fill(CloseCode.RateLimited));
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
  }, 120_000);
});
