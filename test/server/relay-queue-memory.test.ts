// Relayed sockets that stop reading: /mux and /hocuspocus clients whose many channels each receive
// every broadcast of their document. The relay in the Worker used to send whatever the documents'
// sockets gave it toward the client, so the runtime held it all (the document's own bound,
// MAX_QUEUED_BYTES, sees a relay channel that reads everything at once). Now the relay bounds the
// broadcast bytes waiting unread toward the client's socket as the document does toward a direct
// one, and closes a client that stops reading with 4529: nothing is dropped unsaid.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { encodeStateless } from "../../protocol/messages";
import { encodeOpen } from "../../protocol/mux";
import {
  clientFrame,
  neverReadingAt,
  watchFrames,
  type FrameWatch,
} from "../helpers/never-reading";
import { sampleRss, workerdRuntimePid } from "../helpers/process-memory";
import { hocuspocusAuth } from "../helpers/frames";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";
import { openRaw, typistP99 } from "../helpers/typist";

/** Channels of the /mux socket and documents of the /hocuspocus socket, all on one document. */
const CHANNELS = 50;
/** Sockets flooding the document with stateless messages (each under the relay rate limit). */
const FLOODERS = 3;
const FLOOD_MESSAGE_BYTES = 60 * 1024;
const FLOOD_PER_SECOND = 3;
/**
 * ≈0.55 MB/s of broadcasts, relayed 50 times toward each relayed client: ≈27 MB/s each (+726 MB
 * for the two in 10 s, before).
 */
const FLOOD_MS = 8_000;
/**
 * The flood at a third of its pace first, with both relayed clients reading, so the baseline is the
 * runtime's working size for relaying this traffic through 100 channels (+48 to +65 MB measured
 * whether or not anyone stops reading), which is not what a client that stops reading makes it
 * hold. A third, so that a reading client on a loaded machine does not fall MAX_QUEUED_BYTES
 * behind (at the full pace one did, and was closed while it read).
 */
const WARMUP_MS = 4_000;
const WARMUP_PER_SECOND = 1;
/** Wait for the runtime to settle, before the baseline and after. */
const QUIET_MS = 2_000;
/** How long the close frame may take to come once a client reads again (it came in < 1 s). */
const CLOSE_WAIT_MS = 15_000;
/** The bound on what an attack may make the runtime grow by. */
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const open = (docId: string) => openRaw(`${server.wsUrl}/${docId}`);

async function flood(
  sockets: WebSocket[],
  ms: number,
  perSecond = FLOOD_PER_SECOND,
): Promise<void> {
  const message = encodeStateless("s".repeat(FLOOD_MESSAGE_BYTES));
  for (let i = 0; i < (perSecond * ms) / 1000; i++) {
    for (const ws of sockets) ws.send(message);
    await sleep(1000 / perSecond);
  }
}

describe("relayed sockets that stop reading", () => {
  it(`a /mux socket with ${CHANNELS} channels and a /hocuspocus socket with ${CHANNELS} documents stop reading under a broadcast flood: closed with 4529, runtime growth < 50 MB`, async () => {
    const docId = uniqueDocId("relay-never-reads");
    const mux = await neverReadingAt(server.port, "/mux");
    const hocuspocus = await neverReadingAt(server.port, "/hocuspocus");
    const relayed = [mux, hocuspocus];
    const [muxFrames, hocuspocusFrames] = relayed.map(watchFrames) as [FrameWatch, FrameWatch];
    for (const socket of relayed) socket.resume(); // reading, for now
    for (let i = 1; i <= CHANNELS; i++) mux.write(clientFrame(encodeOpen(i, docId, "")));
    // Addresses with a session id name the same document (Hocuspocus's routing key).
    for (let i = 1; i <= CHANNELS; i++)
      hocuspocus.write(clientFrame(hocuspocusAuth(`${docId}\0s${i}`, "open-access")));
    const doc = new Y.Doc();
    const [typist, watcher] = [await open(docId), await open(docId)];
    const flooders = await Promise.all(Array.from({ length: FLOODERS }, () => open(docId)));
    await flood(flooders, WARMUP_MS, WARMUP_PER_SECOND);
    for (const socket of relayed) socket.pause(); // they stop reading
    await sleep(QUIET_MS);
    const pid = workerdRuntimePid(server.pid());
    const before = server.runtimeRss();
    const peak = sampleRss(pid, 250);
    const read = [muxFrames.bytes, hocuspocusFrames.bytes];
    const [busy] = await Promise.all([typistP99(typist, watcher, doc), flood(flooders, FLOOD_MS)]);
    await sleep(QUIET_MS);
    const growth = peak.stop() - before;
    // What the server (and the kernel's socket buffers) held for each client before its close.
    for (const socket of relayed) socket.resume();
    const codes = await Promise.all(
      [muxFrames.closed, hocuspocusFrames.closed].map((closed) =>
        Promise.race([closed, sleep(CLOSE_WAIT_MS).then(() => null)]),
      ),
    );
    const held = [muxFrames.bytes - read[0]!, hocuspocusFrames.bytes - read[1]!];
    console.log(
      `relay flood: runtime RSS ${(before / 1e6).toFixed(0)} MB, peak +${(growth / 1e6).toFixed(1)} MB; ` +
        `held before the close: /mux ${(held[0]! / 1e6).toFixed(1)} MB, /hocuspocus ${(held[1]! / 1e6).toFixed(1)} MB; ` +
        `typist p99 ${busy.toFixed(1)} ms during the flood`,
    );
    for (const ws of [typist, watcher, ...flooders]) ws.close();
    expect(codes).toEqual([CloseCode.RateLimited, CloseCode.RateLimited]);
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
  }, 120_000);
});
