// An honest typist beside a flood: one keystroke at a time on its own socket, each timed from the
// typist's send to a watcher's receipt of the update. For tests that log what an attack costs the
// people editing beside it (the figures go to the docs, never to timed assertions).
import * as decoding from "lib0/decoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { MessageType, encodeSyncUpdate } from "../../protocol/messages";

export interface TypistOptions {
  /** Keystrokes timed, one every `intervalMs`. */
  keystrokes?: number;
  intervalMs?: number;
  /** How long the last keystroke may take to arrive before the run fails. */
  timeoutMs?: number;
}

/** A plain y-websocket socket (nodebuffer frames), for typists, watchers and flooders. */
export function openRaw(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = "nodebuffer";
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Types into `doc` over `typist` (a plain y-websocket socket) and returns the 99th percentile of
 * the keystrokes' latency to `watcher`, in milliseconds. The room merges a writer's queued
 * updates into one broadcast, so characters are counted, not messages.
 */
export async function typistP99(
  typist: WebSocket,
  watcher: WebSocket,
  doc: Y.Doc,
  { keystrokes = 60, intervalMs = 100, timeoutMs = 30_000 }: TypistOptions = {},
): Promise<number> {
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const seen = new Y.Doc();
  Y.applyUpdate(seen, Y.encodeStateAsUpdate(doc));
  const start = seen.getText("t").length;
  const onMessage = (data: Buffer) => {
    if (data[0] !== MessageType.Sync || data[1] !== 2) return; // a sync update
    const decoder = decoding.createDecoder(data.subarray(2));
    Y.applyUpdate(seen, decoding.readVarUint8Array(decoder));
    const now = performance.now();
    for (let k = latencies.length; k < seen.getText("t").length - start; k++)
      latencies.push(now - sentAt[k]!);
  };
  watcher.on("message", onMessage);
  try {
    for (let i = 0; i < keystrokes; i++) {
      const before = Y.encodeStateVector(doc);
      doc.getText("t").insert(0, "k");
      sentAt.push(performance.now());
      typist.send(encodeSyncUpdate(Y.encodeStateAsUpdate(doc, before)));
      await sleep(intervalMs);
    }
    for (const deadline = Date.now() + timeoutMs; latencies.length < keystrokes;) {
      if (Date.now() > deadline) throw new Error(`${latencies.length} of ${keystrokes} keystrokes`);
      await sleep(50);
    }
  } finally {
    watcher.off("message", onMessage);
  }
  latencies.sort((a, b) => a - b);
  return latencies[Math.ceil(0.99 * latencies.length) - 1]!;
}
