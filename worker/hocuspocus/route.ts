// GET /hocuspocus — the Hocuspocus-protocol endpoint (@hocuspocus/provider, Tiptap). The Worker
// accepts the socket itself and relays each document to its Durable Object (session.ts); the
// URL names no document, so the origin is the only check made before the upgrade.
import { createApp } from "../app";
import { checkOrigin } from "../auth";
import { ApiError } from "../errors";
import { relayLimitsFromEnv } from "./limits";
import { HocuspocusSession } from "./session";

export const hocuspocus = createApp();

hocuspocus.get("/hocuspocus", (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(
      426,
      "upgrade_required",
      "this endpoint speaks WebSocket: send Upgrade: websocket",
    );
  }
  checkOrigin(c);
  const limits = relayLimitsFromEnv(c.env);
  const { 0: client, 1: server } = new WebSocketPair();
  // The compatibility date makes binary frames Blobs by default (standard binaryType).
  server.binaryType = "arraybuffer";
  server.accept();
  const session = new HocuspocusSession(server, c.env, limits);
  server.addEventListener("message", (event) => session.onMessage(event.data));
  server.addEventListener("close", () => session.onClose());
  server.addEventListener("error", () => session.onClose());
  return new Response(null, { status: 101, webSocket: client });
});
