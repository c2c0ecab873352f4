// Measures the persistence figures reported for the durability work: what the automerge-paper
// replay writes to DO storage and D1, snapshot sizes, and cold-load times from DO storage and
// from D1. Run: node bench/measure-persistence.ts (Node 22, takes minutes). Not part of
// `npm run bench`: it starts the server through test/helpers, as the real-server tests do.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import { startServer } from "../test/helpers/server.ts";
import { provider, whenSynced } from "../test/helpers/providers.ts";
import { applyTxn, loadTrace } from "../test/helpers/trace.ts";

const trace = loadTrace("automerge-paper");
const writerDoc = new Y.Doc();
const frames: Uint8Array[] = [];
writerDoc.on("update", (u: Uint8Array) => {
  const e = new Uint8Array(u.length + 8);
  // sync update frame: [0, 2, varUint length, update]
  let n = 0;
  e[n++] = 0;
  e[n++] = 2;
  let len = u.length;
  while (len > 127) {
    e[n++] = (len & 127) | 128;
    len >>>= 7;
  }
  e[n++] = len;
  e.set(u, n);
  frames.push(e.subarray(0, n + u.length));
});
const text = writerDoc.getText("t");
for (const txn of trace.txns) applyTxn(writerDoc, text, txn);

const server = await startServer({
  vars: { RATE_LIMIT_MESSAGES: "100000000", RATE_LIMIT_BYTES: "100000000000" },
});
const docId = `measure-${Date.now()}`;
const open = () =>
  new Promise<WebSocket>((resolve) => {
    const s = new WebSocket(`${server.wsUrl}/${docId}`);
    s.on("open", () => resolve(s));
  });
try {
  const reader = await open();
  const writer = await open();
  const readerDoc = new Y.Doc();
  reader.on("message", (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    if (decoding.readVarUint(d) === 0 && decoding.readVarUint(d) !== 0)
      Y.applyUpdate(readerDoc, decoding.readVarUint8Array(d));
  });
  const started = Date.now();
  for (const f of frames) {
    writer.send(f);
    if (writer.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 1));
  }
  let lastLength = -1;
  let lastProgress = Date.now();
  // Compare contents, not only lengths: the text passes through the final length earlier too.
  while (
    readerDoc.getText("t").length !== trace.endContent.length ||
    readerDoc.getText("t").toString() !== trace.endContent
  ) {
    await new Promise((r) => setTimeout(r, 50));
    const length = readerDoc.getText("t").length;
    if (length !== lastLength) [lastLength, lastProgress] = [length, Date.now()];
    if (Date.now() - lastProgress > 60_000)
      throw new Error(`replay stalled at ${length} of ${trace.endContent.length} chars`);
  }
  const replayMs = Date.now() - started;
  if (readerDoc.getText("t").toString() !== trace.endContent) throw new Error("replay diverged");
  writer.close();
  reader.close();
  await new Promise((r) => setTimeout(r, 5000)); // D1 debounce (2 s) + a margin
  const meta = (await (await fetch(`${server.url}/v1/docs/${docId}`)).json()) as Record<
    string,
    unknown
  >;

  const timeLoad = async () => {
    const t0 = performance.now();
    const p = provider(server.wsUrl, docId);
    await whenSynced(p, 120_000);
    const ms = performance.now() - t0;
    const ok = p.doc.getText("t").toString() === trace.endContent;
    p.destroy();
    return { ms: Math.round(ms), ok };
  };
  await server.kill();
  await server.restart();
  const fromStorage = await timeLoad();
  await server.kill();
  const doDir = join(server.persistTo, "v3", "do");
  for (const entry of readdirSync(doDir))
    rmSync(join(doDir, entry), { recursive: true, force: true });
  await server.restart();
  const fromD1 = await timeLoad();
  const after = (await (await fetch(`${server.url}/v1/docs/${docId}`)).json()) as Record<
    string,
    unknown
  >;
  console.log(
    JSON.stringify(
      {
        transactions: trace.txns.length,
        frames: frames.length,
        frameBytes: frames.reduce((n, f) => n + f.length, 0),
        replayMs,
        messagesPerSecond: Math.round((frames.length / replayMs) * 1000),
        meta,
        coldLoadFromDoStorage: fromStorage,
        coldLoadFromD1: fromD1,
        afterD1Hydration: { updateCount: after.updateCount, encodedSize: after.encodedSize },
      },
      null,
      2,
    ),
  );
} finally {
  await server.dispose();
}
