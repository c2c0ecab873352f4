// GET /hocuspocus — the Hocuspocus-protocol endpoint (@hocuspocus/provider, Tiptap). The Worker
// accepts the socket itself and relays each document to its Durable Object (session.ts); the
// URL names no document, so the origin is the only check made before the upgrade.
import { createApp } from "../app";
import { authOf, checkOrigin } from "../auth";
import { requireWebSocketUpgrade } from "../errors";
import { settingsOf } from "../settings";
import { HocuspocusSession } from "./session";

export const hocuspocus = createApp();

hocuspocus.get("/hocuspocus", (c) => {
  requireWebSocketUpgrade(c);
  checkOrigin(c);
  const settings = settingsOf(c);
  const limits = settings.relayLimits(c.env);
  const documents = settings.documents(c.env);
  const auth = authOf(c);
  const upgrade = c.req.raw;
  // Each document's token is checked by the mount's Auth as if it came with the upgrade as a
  // Bearer header (an `authorize` hook still sees the upgrade's other headers, e.g. cookies).
  const checkToken = (docId: string, token: string) => {
    const url = new URL(upgrade.url);
    url.search = "";
    const headers = new Headers(upgrade.headers);
    headers.delete("Authorization");
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return auth.authenticate(new Request(url, { headers }), { docId });
  };
  const { 0: client, 1: server } = new WebSocketPair();
  // The compatibility date makes binary frames Blobs by default (standard binaryType).
  server.binaryType = "arraybuffer";
  server.accept();
  const session = new HocuspocusSession(server, documents, checkToken, limits);
  server.addEventListener("message", (event) => session.onMessage(event.data));
  server.addEventListener("close", () => session.onClose());
  server.addEventListener("error", () => session.onClose());
  return new Response(null, { status: 101, webSocket: client });
});
