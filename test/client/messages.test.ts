// Fewer messages: the same keystroke-level edits sent by SyncProvider (coalesced, one saved ack
// per burst) and by a stock y-websocket provider (one message per transaction). Each incoming
// message costs the Durable Object an event, billed and rate-limited per message.
import WebSocket from "ws";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncProvider, type WebSocketConstructor } from "../../client/index";
import { countingWebSocket, serverText } from "../helpers/client-server";
import { eventually, uniqueDocId, whenSynced } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";
import { applyTxn, loadTrace } from "../helpers/trace";
import { WebsocketProvider } from "y-websocket";

/** Trace transactions replayed, and how many per event-loop turn (a fast typist or a paste). */
const TXNS = 3_000;
const PER_TURN = 30;

const server = sharedServer("open");

async function replay(doc: Y.Doc, trace: ReturnType<typeof loadTrace>): Promise<void> {
  const text = doc.getText("t");
  for (let i = 0; i < TXNS; i += PER_TURN) {
    for (const txn of trace.txns.slice(i, Math.min(i + PER_TURN, TXNS))) applyTxn(doc, text, txn);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function serverTextOnceEqual(docId: string, expected: string, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  let text = await serverText(server.wsUrl, docId);
  while (text !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    text = await serverText(server.wsUrl, docId);
  }
  return text;
}

describe("SyncProvider message count", () => {
  it("sends far fewer messages than y-websocket for the same edits", async () => {
    const trace = loadTrace("automerge-paper");

    const ours = countingWebSocket<WebSocketConstructor>();
    const oursId = uniqueDocId("msgs-ours");
    const provider = new SyncProvider({
      url: server.wsUrl,
      docId: oursId,
      doc: new Y.Doc(),
      WebSocket: ours.WebSocket,
    });
    await provider.whenSynced();
    const oursBefore = ours.counter.sent;
    await replay(provider.doc, trace);
    await provider.whenSaved();
    const oursSent = ours.counter.sent - oursBefore;

    const stock = countingWebSocket(WebSocket);
    const stockId = uniqueDocId("msgs-stock");
    const ywsDoc = new Y.Doc();
    const yws = new WebsocketProvider(server.wsUrl, stockId, ywsDoc, {
      WebSocketPolyfill: stock.WebSocket as never,
      disableBc: true,
    });
    await whenSynced(yws);
    const stockBefore = stock.counter.sent;
    await replay(ywsDoc, trace);
    const expected = ywsDoc.getText("t").toString();
    await eventually(
      () => stock.counter.sent - stockBefore >= TXNS,
      () => `y-websocket sent ${stock.counter.sent - stockBefore}`,
    );
    const stockSent = stock.counter.sent - stockBefore;

    expect(provider.doc.getText("t").toString()).toBe(expected);
    expect(await serverText(server.wsUrl, oursId)).toBe(expected);
    // y-websocket has no acknowledgement: its last frames may still be in flight through the
    // local proxy when the counter says they were sent, so read until the server has caught up.
    expect(await serverTextOnceEqual(stockId, expected)).toBe(expected);
    console.log(
      `${TXNS} transactions, ${PER_TURN} per turn: SyncProvider sent ${oursSent} messages, y-websocket ${stockSent}`,
    );
    expect(stockSent).toBeGreaterThanOrEqual(TXNS);
    expect(oursSent * 10).toBeLessThan(stockSent);
    await provider.destroy();
    yws.destroy();
  });
});
