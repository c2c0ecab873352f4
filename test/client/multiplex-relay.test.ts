// The /mux relay against raw sockets on the real server: bad input gets a documented close code
// for the socket, or CLOSED for one channel, and never disturbs the other channels.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { SyncClient, type WebSocketConstructor } from "../../client/index";
import { CloseCode } from "../../protocol/close-codes";
import {
  MUX_PING,
  MUX_PONG,
  MuxClientKind,
  MuxServerKind,
  decodeClose,
  decodeMuxFrame,
  decodeText,
  encodeMuxFrame,
  encodeOpen,
  encodeText,
  type MuxFrame,
} from "../../protocol/mux";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { countingWebSocket } from "../helpers/client-server";
import { createToken } from "../../worker/tokens";
import { token } from "../helpers/hocuspocus";
import { eventually, uniqueDocId } from "../helpers/providers";
import { privatePort, startServer, type RunningServer } from "../helpers/server";

/** A small channel budget, so the test can spend it. */
const MAX_CHANNELS = 12;
/** Small backoff so the refused provider's reconnect comes soon. */
const BACKOFF = { baseMs: 50, capMs: 500 };

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    vars: { AUTH_SECRET: TEST_AUTH_SECRET, MUX_MAX_CHANNELS: String(MAX_CHANNELS) },
    port: privatePort,
  });
});
afterAll(async () => {
  await server?.dispose();
});

/** A raw /mux socket that records every frame and its close. */
async function rawMux() {
  const s = new WebSocket(`${server.url.replace(/^http/, "ws")}/mux`);
  s.binaryType = "arraybuffer";
  const frames: MuxFrame[] = [];
  const texts: string[] = [];
  let closed: { code: number; reason: string } | null = null;
  s.on("message", (data: ArrayBuffer, isBinary: boolean) => {
    if (isBinary) frames.push(decodeMuxFrame(new Uint8Array(data)));
    else texts.push(Buffer.from(data).toString());
  });
  s.on("close", (code: number, reason: Buffer) => (closed = { code, reason: reason.toString() }));
  await new Promise((resolve, reject) => (s.once("open", resolve), s.once("error", reject)));
  const on = (channel: number, kind: number) =>
    frames.filter((f) => f.channel === channel && f.kind === kind);
  const waitFor = (channel: number, kind: number) =>
    eventually(
      () => on(channel, kind).length > 0,
      () => `no kind ${kind} on channel ${channel}; frames: ${JSON.stringify(frames)}`,
    ).then(() => on(channel, kind)[0]!);
  const waitClosed = () =>
    eventually(
      () => closed !== null,
      () => "socket still open",
    ).then(() => closed!);
  return { s, frames, texts, on, waitFor, waitClosed };
}

describe("/mux relay", () => {
  it("answers a plain GET with 426 and a JSON error", async () => {
    const res = await fetch(`${server.url}/mux`);
    expect(res.status).toBe(426);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upgrade_required");
  });

  it("refuses a bad channel alone and keeps the good one relaying", async () => {
    const mux = await rawMux();
    const docId = uniqueDocId("raw");
    mux.s.send(encodeOpen(1, docId, `token=${await token(docId)}`));
    await mux.waitFor(1, MuxServerKind.Opened);
    await mux.waitFor(1, MuxServerKind.Frame); // the document's epoch and sync step 1
    // A document id the app rejects (400 invalid_doc_id) and a malformed OPEN payload.
    mux.s.send(encodeOpen(2, "bad\u0001id", ""));
    mux.s.send(encodeMuxFrame(3, MuxClientKind.Open, new Uint8Array([9])));
    // No token: the socket route's own refusal, as a direct ?ext=1 socket gets it.
    mux.s.send(encodeOpen(4, uniqueDocId("raw"), ""));
    const closes = await Promise.all([2, 3, 4].map((c) => mux.waitFor(c, MuxServerKind.Closed)));
    const [bad, malformed, anonymous] = closes.map((f) => decodeClose(f.payload));
    expect(bad!.code).toBe(CloseCode.ProtocolError);
    expect(bad!.reason).toMatch(/^invalid_doc_id/);
    expect(malformed!.code).toBe(CloseCode.ProtocolError);
    expect(anonymous!.code).toBe(CloseCode.Unauthenticated);
    // Channel 1 still relays: its keep-alive ping reaches the document and the pong comes back,
    // and the socket's own ping is answered by the Worker.
    mux.s.send(encodeText(1, MuxClientKind.Text, "ping"));
    const pong = await mux.waitFor(1, MuxServerKind.Text);
    expect(decodeText(pong.payload)).toBe("pong");
    mux.s.send(MUX_PING);
    await eventually(
      () => mux.texts.includes(MUX_PONG),
      () => "no pong",
    );
    expect(mux.on(1, MuxServerKind.Closed)).toEqual([]);
    mux.s.close();
  });

  it("refuses channels past MUX_MAX_CHANNELS with CLOSED 4529, the socket carrying on", async () => {
    const mux = await rawMux();
    for (let c = 1; c <= MAX_CHANNELS + 1; c++) mux.s.send(encodeOpen(c, "bad\u0001id", ""));
    const last = decodeClose((await mux.waitFor(MAX_CHANNELS + 1, MuxServerKind.Closed)).payload);
    expect(last.code).toBe(CloseCode.RateLimited);
    const first = decodeClose((await mux.waitFor(MAX_CHANNELS, MuxServerKind.Closed)).payload);
    expect(first.code).toBe(CloseCode.ProtocolError); // within the budget: the app's own answer
    mux.s.send(MUX_PING);
    await eventually(
      () => mux.texts.includes(MUX_PONG),
      () => "no pong",
    );
    mux.s.close();
  });

  it("closes the socket with 4400 on a reused channel id, a bad header or stray text", async () => {
    const reused = await rawMux();
    reused.s.send(encodeOpen(5, "bad\u0001id", ""));
    reused.s.send(encodeOpen(5, "bad\u0001id", ""));
    expect((await reused.waitClosed()).code).toBe(CloseCode.ProtocolError);
    const garbage = await rawMux();
    garbage.s.send(new Uint8Array([0x80]));
    expect((await garbage.waitClosed()).code).toBe(CloseCode.ProtocolError);
    const text = await rawMux();
    text.s.send("hello");
    expect((await text.waitClosed()).code).toBe(CloseCode.ProtocolError);
    const unopened = await rawMux();
    unopened.s.send(encodeMuxFrame(9, MuxClientKind.Frame, new Uint8Array([0, 0, 0])));
    expect((await unopened.waitClosed()).code).toBe(CloseCode.ProtocolError);
  });

  it("moves new documents to a fresh socket once the channel budget is spent", async () => {
    const { WebSocket: Counting, counter } = countingWebSocket<WebSocketConstructor>();
    const client = new SyncClient({
      url: `${server.url.replace(/^http/, "ws")}/mux`,
      WebSocket: Counting,
    });
    const open = async (docId: string) =>
      client.provider({ docId, doc: new Y.Doc(), token: await token(docId), backoff: BACKOFF });
    const first = await open(uniqueDocId("budget"));
    await first.whenSynced();
    // One more than the budget left: the last open is refused with 4529 and retried elsewhere.
    const rest = [];
    for (let i = 0; i < MAX_CHANNELS; i++) rest.push(await open(uniqueDocId("budget")));
    await Promise.all(rest.map((p) => p.whenSynced()));
    expect(first.synced).toBe(true);
    expect(counter.opened).toBe(2);
    expect(client.socketsOpened).toBe(2);
    await client.destroy();
  });

  it("renews a refused token and resets a deleted document, each on its own channel", async () => {
    const client = new SyncClient({ url: `${server.url.replace(/^http/, "ws")}/mux` });
    const renewedId = uniqueDocId("renew");
    const deletedId = uniqueDocId("deleted");
    const keptId = uniqueDocId("kept");
    let asked = 0;
    // The first answer is refused (4401); the provider asks the function again and reconnects.
    const renewed = client.provider({
      docId: renewedId,
      doc: new Y.Doc(),
      token: async () => (asked++ === 0 ? "not-a-token" : token(renewedId)),
      backoff: BACKOFF,
    });
    const deleted = client.provider({
      docId: deletedId,
      doc: new Y.Doc(),
      token: await token(deletedId),
    });
    const kept = client.provider({ docId: keptId, doc: new Y.Doc(), token: await token(keptId) });
    await Promise.all([renewed, deleted, kept].map((p) => p.whenSynced()));
    expect(asked).toBeGreaterThanOrEqual(2);
    deleted.doc.getText("t").insert(0, "soon gone");
    await deleted.whenSaved();
    const reset = new Promise<void>((resolve) => deleted.on("reset", resolve));
    const admin = createToken(TEST_AUTH_SECRET, { doc: deletedId, role: "admin", ttlSeconds: 60 });
    const res = await fetch(`${server.url}/v1/docs/${deletedId}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${await admin}` },
    });
    expect(res.status).toBe(200);
    await reset; // 4404 on its channel: the provider dropped its copy and stopped
    kept.doc.getText("t").insert(0, "still here");
    await kept.whenSaved();
    expect(renewed.synced && kept.synced).toBe(true);
    await client.destroy();
  });
});
