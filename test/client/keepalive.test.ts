// Keep-alive against the real server: on a quiet connection the provider sends the text frame
// "ping", the platform's auto-response answers "pong", and the connection is kept.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncProvider, type WebSocketConstructor } from "../../client/index";
import { countingWebSocket } from "../helpers/client-server";
import { eventually, uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

/** Ping after 100 ms of silence; without a pong the socket would be dropped 500 ms later. */
const PING_INTERVAL_MS = 100;
const PONG_TIMEOUT_MS = 500;
/** Pings to wait for: they come about two per PING_INTERVAL_MS + PONG_TIMEOUT_MS. */
const PINGS = 8;

const server = sharedServer("open");

describe("SyncProvider keep-alive", () => {
  it("pings a quiet connection and keeps it while pongs come back", async () => {
    const { WebSocket, counter } = countingWebSocket<WebSocketConstructor>();
    const p = new SyncProvider({
      url: server.wsUrl,
      docId: uniqueDocId("keepalive"),
      doc: new Y.Doc(),
      WebSocket,
      pingIntervalMs: PING_INTERVAL_MS,
      pongTimeoutMs: PONG_TIMEOUT_MS,
    });
    await p.whenSynced();
    const pings = () => counter.sent - counter.sizes.length;
    // Pings mean the connection has gone quiet. Two, not one: on a loaded machine the sync's
    // own frames (step 2 answers, saved requests) were seen still going out after the first.
    await eventually(
      () => pings() >= 2,
      () => `${pings()} pings sent`,
    );
    const binaryFrames = counter.sizes.length;
    const firstPings = pings();
    // Enough pings that, had none been answered, the socket would have been dropped twice over.
    const statuses: string[] = [];
    p.on("status", (s) => statuses.push(s));
    await eventually(
      () => pings() - firstPings >= PINGS,
      () =>
        `${counter.sent - counter.sizes.length} pings sent, ${counter.opened} sockets, statuses ${statuses.join(",")}`,
    );
    expect(counter.sizes.length).toBe(binaryFrames); // only text pings went out meanwhile
    expect(counter.opened).toBe(1);
    expect(p.status).toBe("connected");
    await p.destroy();
  });
});
