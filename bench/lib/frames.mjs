// Pre-encodes a trace's transactions as Yjs updates (one per message, or batches of N) into a
// cache file, so load generators only read bytes before the clock starts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as Y from "yjs";
import { BENCH, ROOT } from "./servers.mjs";

/** Where encoded frames are cached (gitignored). */
export const CACHE_DIR = join(BENCH, "results", "tmp");
/** The writer's fixed Yjs client id, so every run produces the same bytes. */
const WRITER_CLIENT_ID = 1;
/** Name of the shared Y.Text the trace is replayed into. */
export const TEXT_NAME = "text";
/** Name of the Y.Text that carries the end marker (kept apart so the text stays endContent). */
export const MARKER_TEXT_NAME = "bench-end";
/** The end marker: readers look for these bytes in incoming frames. */
export const END_MARKER = "EDGESYNC-BENCH-END-MARKER-5f3a9c";

export function loadTrace(name) {
  const path = join(ROOT, "test", "fixtures", "traces", `${name}.json.gz`);
  return JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
}

/**
 * Returns { file, expectedFile, count } for `txns` transactions (0 = all) of `trace` in batches
 * of `batch`. The file holds [u32 length][update] records; the last record is the end marker.
 */
export function prepareFrames(trace, batch, txns) {
  mkdirSync(CACHE_DIR, { recursive: true });
  const base = join(CACHE_DIR, `${trace}-b${batch}-n${txns}`);
  const file = `${base}.bin`;
  const expectedFile = `${base}.txt`;
  if (existsSync(file) && existsSync(expectedFile))
    return { file, expectedFile, count: readFrames(file).length - 1 };
  const data = loadTrace(trace);
  const all = txns > 0 ? data.txns.slice(0, txns) : data.txns;
  const doc = new Y.Doc();
  doc.clientID = WRITER_CLIENT_ID;
  const text = doc.getText(TEXT_NAME);
  const updates = [];
  doc.on("update", (u) => updates.push(u));
  for (let i = 0; i < all.length; i += batch) {
    doc.transact(() => {
      for (const txn of all.slice(i, i + batch)) {
        for (const [pos, del, insert] of txn.patches) {
          if (del > 0) text.delete(pos, del);
          if (insert) text.insert(pos, insert);
        }
      }
    });
  }
  const expected = text.toString();
  if (txns === 0 && expected !== data.endContent)
    throw new Error("trace replay does not reach endContent");
  doc.getText(MARKER_TEXT_NAME).insert(0, END_MARKER);
  const size = updates.reduce((n, u) => n + 4 + u.length, 0);
  const out = Buffer.alloc(size);
  let at = 0;
  for (const u of updates) {
    out.writeUInt32LE(u.length, at);
    out.set(u, at + 4);
    at += 4 + u.length;
  }
  writeFileSync(file, out);
  writeFileSync(expectedFile, expected);
  return { file, expectedFile, count: updates.length - 1 };
}

/** Reads the updates of a frames file (the last one is the end marker). */
export function readFrames(file) {
  const buf = readFileSync(file);
  const updates = [];
  for (let at = 0; at < buf.length;) {
    const len = buf.readUInt32LE(at);
    updates.push(new Uint8Array(buf.buffer, buf.byteOffset + at + 4, len));
    at += 4 + len;
  }
  return updates;
}
