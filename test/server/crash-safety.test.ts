// Crash safety against the real server: SIGKILL mid-replay at seeded random points; after a
// restart the document holds everything a watching client had received, and once the writer
// reconnects everyone equals the writer's document exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { startServer, type RunningServer } from "../helpers/server";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { applyTxn, loadTrace } from "../helpers/trace";

/** Transactions applied between yields to the event loop while replaying. */
const BATCH = 100;
const SEEDS = [1, 2, 3];

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    vars: {
      RATE_LIMIT_MESSAGES: "100000000",
      RATE_LIMIT_BYTES: "1000000000",
      DOC_RATE_LIMIT_MESSAGES: "100000000",
    },
  });
});
afterAll(async () => {
  await server?.dispose();
});

function seeded(seed: number): () => number {
  let x = seed * 2654435761;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** True when state vector `a` covers everything in `b`. */
function covers(a: Map<number, number>, b: Map<number, number>): boolean {
  for (const [client, clock] of b) if ((a.get(client) ?? 0) < clock) return false;
  return true;
}

describe("crash safety", () => {
  it.each(SEEDS)(
    "loses nothing a client received when SIGKILLed mid-replay (seed %i)",
    async (seed) => {
      const trace = loadTrace("friendsforever_flat");
      const random = seeded(seed);
      const killAt = 2_000 + Math.floor(random() * 15_000);
      const docId = uniqueDocId(`crash${seed}`);
      const writer = provider(server.wsUrl, docId);
      const watcher = provider(server.wsUrl, docId);
      await Promise.all([whenSynced(writer), whenSynced(watcher)]);
      const text = writer.doc.getText("t");

      let applied = 0;
      let received: Map<number, number> | null = null;
      let receivedChars = 0;
      while (applied < trace.txns.length) {
        for (const txn of trace.txns.slice(applied, applied + BATCH))
          applyTxn(writer.doc, text, txn);
        applied = Math.min(applied + BATCH, trace.txns.length);
        await new Promise((r) => setTimeout(r, 2));
        if (received === null && applied >= killAt) {
          await server.kill();
          received = Y.decodeStateVector(Y.encodeStateVector(watcher.doc));
          receivedChars = watcher.doc.getText("t").length;
          // The writer keeps typing offline (not reconnecting until we say so); the watcher leaves.
          writer.disconnect();
          watcher.destroy();
        }
      }
      expect(received).not.toBeNull();
      expect(receivedChars).toBeGreaterThan(0);
      await server.restart();

      const fresh = provider(server.wsUrl, docId);
      await whenSynced(fresh);
      // Everything the watcher had received was on disk: the writer is still offline, so the
      // fresh client's first sync shows only what the restarted server loaded from storage.
      const loaded = Y.decodeStateVector(Y.encodeStateVector(fresh.doc));
      expect(covers(loaded, received!)).toBe(true);
      writer.connect();

      await eventually(
        () => fresh.doc.getText("t").toString() === trace.endContent,
        () => `fresh has ${fresh.doc.getText("t").length} of ${trace.endContent.length} chars`,
        120_000,
      );
      expect(text.toString()).toBe(trace.endContent);
      expect(Y.encodeStateVector(fresh.doc)).toEqual(Y.encodeStateVector(writer.doc));
      writer.destroy();
      fresh.destroy();
    },
    300_000,
  );
});
