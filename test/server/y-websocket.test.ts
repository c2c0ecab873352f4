// Stock y-websocket clients against the real server (wrangler dev + workerd, as `npm start`
// runs it): convergence, a keystroke-level trace replay, and a restart after SIGKILL.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../helpers/server";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { applyTxn, loadTrace } from "../helpers/trace";

let server: RunningServer;

beforeAll(async () => {
  // The replay is a deliberate flood from one socket; lift the per-socket rate limit for it.
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

describe("stock y-websocket providers", () => {
  it("converge on concurrent edits and see each other's awareness", async () => {
    const docId = uniqueDocId();
    const a = provider(server.wsUrl, docId);
    const b = provider(server.wsUrl, docId);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    a.doc.getText("t").insert(0, "left ");
    b.doc.getText("t").insert(0, "right ");
    a.awareness.setLocalStateField("user", { name: "a" });
    await eventually(
      () =>
        a.doc.getText("t").toString() === b.doc.getText("t").toString() &&
        a.doc.getText("t").length === 11,
      () => `a=${a.doc.getText("t")} b=${b.doc.getText("t")}`,
    );
    await eventually(
      () =>
        (b.awareness.getStates().get(a.doc.clientID) as { user?: { name: string } } | undefined)
          ?.user?.name === "a",
      () => `b sees ${JSON.stringify([...b.awareness.getStates()])}`,
    );
    a.destroy();
    b.destroy();
  });

  it("replays the automerge-paper trace keystroke by keystroke to a watcher and a late joiner", async () => {
    const trace = loadTrace("automerge-paper");
    const docId = uniqueDocId("trace");
    const writer = provider(server.wsUrl, docId);
    const watcher = provider(server.wsUrl, docId);
    await Promise.all([whenSynced(writer), whenSynced(watcher)]);
    const text = writer.doc.getText("t");
    const started = performance.now();
    for (const txn of trace.txns) applyTxn(writer.doc, text, txn);
    expect(text.toString()).toBe(trace.endContent);
    await eventually(
      () =>
        watcher.doc.getText("t").length === trace.endContent.length &&
        watcher.doc.getText("t").toString() === trace.endContent,
      () => `watcher has ${watcher.doc.getText("t").length} of ${trace.endContent.length} chars`,
      300_000,
    );
    const replayMs = performance.now() - started;
    const loadStarted = performance.now();
    const fresh = provider(server.wsUrl, docId);
    await whenSynced(fresh, 60_000);
    const loadMs = performance.now() - loadStarted;
    expect(fresh.doc.getText("t").toString()).toBe(trace.endContent);
    console.log(
      `trace replay: ${trace.txns.length} transactions in ${Math.round(replayMs)} ms; fresh client load ${Math.round(loadMs)} ms`,
    );
    // wrangler dev's local trace store records every invocation and writes them in batches of
    // 20,480 on the Worker's thread; after this flood that stalled the whole server for ~5 s.
    // `npm start` turns it off, so it recorded nothing.
    const traces = join(server.persistTo, "v3", "observability");
    expect(existsSync(traces) ? readdirSync(traces, { recursive: true }) : []).toEqual([]);
    writer.destroy();
    watcher.destroy();
    fresh.destroy();
  }, 600_000);

  it("serves the complete document after the server is SIGKILLed and restarted", async () => {
    const docId = uniqueDocId("restart");
    const a = provider(server.wsUrl, docId);
    await whenSynced(a);
    const trace = loadTrace("friendsforever_flat");
    const text = a.doc.getText("t");
    for (const txn of trace.txns.slice(0, 2000)) applyTxn(a.doc, text, txn);
    const expected = text.toString();
    // Received by a second client means stored (output gates): wait for that, then kill.
    const b = provider(server.wsUrl, docId);
    await eventually(
      () => b.doc.getText("t").toString() === expected,
      () => `b=${b.doc.getText("t").length} chars`,
    );
    a.destroy();
    b.destroy();
    await server.kill();
    await server.restart();
    const fresh = provider(server.wsUrl, docId);
    await whenSynced(fresh);
    expect(fresh.doc.getText("t").toString()).toBe(expected);
    fresh.destroy();
  });
});
