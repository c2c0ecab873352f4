// A client that never reads makes the server queue every reply it asks for: a 4-byte sync step 1
// is answered with the whole document, a query-awareness with every awareness state. The reply
// budget bounds what one socket can make the server hold (measured as the workerd runtime's RSS).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { encodeQueryAwareness, encodeSyncStep1 } from "../../protocol/messages";
import { awarenessFrame } from "../helpers/frames";
import { clientFrame, neverReading } from "../helpers/never-reading";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** Document (and awareness state) size: large replies, under the 4 MiB message cap. */
const DOC_BYTES = 3 * 1024 * 1024;
/** Requests the never-reading client sends (≈600 MB of replies before the budget). */
const REQUESTS = 200;
/** Sockets holding a 3 MB awareness state each, and the queries for all of them (≈480 MB). */
const OWNERS = 8;
const AWARENESS_QUERIES = 20;
/**
 * Growth of the runtime's resident memory this attack may cause: the 16 MiB reply budget plus
 * what the runtime grows by handling the frames at all (≈35 MB measured); ≈600 MB before.
 */
const MAX_GROWTH_BYTES = 80 * 1024 * 1024;
/**
 * The same for the awareness attack, possible only with MAX_AWARENESS_BYTES raised (64 KiB by
 * default): the greeting (every state, 24 MB, not charged) and building the one reply that is
 * refused. Measured: 88 MB with the file run alone, 267 and 277 MB in full fresh-clone runs (2
 * cores, several servers at once: the runtime's heap grows further before it collects), and
 * ≈1,390 MB before the reply budget. 450 MB is a third of that and 1.6× the loaded runs.
 */
const MAX_AWARENESS_GROWTH_BYTES = 450 * 1024 * 1024;
/** Wait after replication before the baseline, for the runtime to settle (under hibernation's ~10 s). */
const QUIET_MS = 3_000;
/** Wait before the awareness baseline: eight 3 MB states received and forwarded by then. */
const AWARENESS_QUIET_MS = 8_000;
/** Time for the server to handle the requests and queue what it will. */
const SETTLE_MS = 8_000;

let server: RunningServer;
beforeAll(async () => {
  // Caps an operator may raise, so that one document and a few states can be this large.
  server = await startServer({
    vars: {
      MAX_DOC_BYTES: String(8 * 1024 * 1024),
      MAX_AWARENESS_BYTES: String(4 * 1024 * 1024),
      RELAY_RATE_LIMIT_BYTES: String(8 * 1024 * 1024),
    },
  });
});
afterAll(async () => {
  await server?.dispose();
});

/** Waits until the document's D1 replication (and the compaction before it) has run. */
async function replicated(docId: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const info = (await (await fetch(`${server.url}/v1/docs/${docId}`)).json()) as {
      generation?: number;
    };
    if ((info.generation ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${docId} was not replicated`);
}

async function growthFrom(
  frames: Uint8Array[],
  docId: string,
  quietMs = QUIET_MS,
): Promise<number> {
  await new Promise((r) => setTimeout(r, quietMs));
  const before = server.runtimeRss();
  const socket = await neverReading(server.port, docId);
  for (const frame of frames) socket.write(clientFrame(frame));
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const growth = server.runtimeRss() - before;
  socket.destroy();
  return growth;
}

const text = () => randomBytes(DOC_BYTES / 2).toString("hex");

describe("replies to a client that never reads", () => {
  it(`${REQUESTS} sync step 1s on a 3 MB document grow the runtime by < 80 MB`, async () => {
    const docId = uniqueDocId("never-reads");
    const doc = new Y.Doc();
    doc.getText("t").insert(0, text());
    const res = await fetch(`${server.url}/v1/docs/${docId}/update`, {
      method: "POST",
      body: Y.encodeStateAsUpdate(doc),
    });
    expect(res.status).toBe(200);
    // Replication's own allocations (a 3 MB snapshot written twice) are over before the baseline.
    await replicated(docId);
    const growth = await growthFrom(
      Array.from({ length: REQUESTS }, () => encodeSyncStep1(new Uint8Array([0]))),
      docId,
    );
    console.log(`step 1 × ${REQUESTS}: runtime RSS grew ${(growth / 1e6).toFixed(1)} MB`);
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
  }, 120_000);

  it(`${AWARENESS_QUERIES} query-awareness frames with ${OWNERS} × 3 MB of states grow the runtime by < ${MAX_AWARENESS_GROWTH_BYTES / 1024 / 1024} MB`, async () => {
    const docId = uniqueDocId("never-reads-aw");
    // Owners that read (a never-reading owner would hold the others' states in its own queue).
    const owners = await Promise.all(
      Array.from(
        { length: OWNERS },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`${server.wsUrl}/${docId}`);
            ws.once("open", () => resolve(ws));
            ws.once("error", reject);
          }),
      ),
    );
    owners.forEach((ws, i) => ws.send(awarenessFrame(4242 + i, 1, { blob: text() })));
    const queries = Array.from({ length: AWARENESS_QUERIES }, () => encodeQueryAwareness());
    const growth = await growthFrom(queries, docId, AWARENESS_QUIET_MS);
    console.log(
      `query-awareness × ${AWARENESS_QUERIES}: runtime RSS grew ${(growth / 1e6).toFixed(1)} MB`,
    );
    for (const ws of owners) ws.close();
    expect(growth).toBeLessThan(MAX_AWARENESS_GROWTH_BYTES);
  }, 120_000);
});
