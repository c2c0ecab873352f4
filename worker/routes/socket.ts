// GET /sync/<name> — the socket route, where WebSockets connect (HTTP sync is a REST route; see
// the names in durable-objects/contract). Validates, authenticates and checks the origin, then
// forwards the upgrade to the document's Durable Object (which hibernates; Hono's
// upgradeWebSocket helper cannot).
import type { Context } from "hono";
import { routePath } from "hono/route";
import { writeHandoff } from "../../durable-objects/contract";
import { createApp } from "../app";
import { authorize, checkOrigin, refuseRelayed } from "../auth";
import { docNameFromUrl, rawRest } from "../doc-id";
import { documentStub } from "../documents";
import { ApiError, requireWebSocketUpgrade, UPGRADE_HEADERS } from "../errors";
import { CloseCode, truncateReason } from "../../protocol/close-codes";
import { closeCodeForRefusal } from "../relay/refusals";

export const socketRoute = createApp();

// The name is the rest of the path, percent-decoded, slashes included (a stock y-websocket
// client appends its room name as is), or ?doc= (see protocol/doc-name.ts). `/sync` alone
// matches too, so an empty name gets the same refusal as any other bad one.
socketRoute.on("GET", ["/sync", "/sync/*"], async (c) => {
  let docId: string;
  let handoff;
  try {
    docId = docNameFromUrl(c, routePath(c).endsWith("*") ? rawRest(c) : "");
    requireWebSocketUpgrade(c);
    checkOrigin(c);
    handoff = await authorize(c, docId, "read");
  } catch (err) {
    // Browsers cannot read an HTTP refusal of a WebSocket upgrade; clients that opt in
    // (?ext=1, our SDK) get it as a close code instead, a bad name included (a permanent one:
    // retrying cannot fix it). Still no Durable Object is touched. A relay's channel gets the
    // refusal itself, and maps it by the same table (worker/relay/).
    if (err instanceof ApiError) {
      const relayed = refuseRelayed(c, err);
      if (relayed) return relayed;
      if (c.req.query("ext") === "1" && isUpgrade(c)) return refuseAsClose(err);
    }
    throw err;
  }
  // A fresh header set: nothing the client sent can pose as the Worker's handoff.
  const headers = new Headers();
  for (const name of UPGRADE_HEADERS) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  writeHandoff(headers, handoff);
  const stub = documentStub(c, docId);
  try {
    return await stub.fetch(new Request(c.req.url, { headers }));
  } catch (err) {
    // The object could not start (a damaged database file): the documented transient close,
    // for every client, instead of a failed upgrade (1006).
    console.error(`edgesync: the Durable Object of ${docId} failed: ${(err as Error).message}`);
    return closeWith(CloseCode.DocumentUnavailable, "document unavailable, retry later");
  }
});

function isUpgrade(c: Context): boolean {
  return c.req.header("Upgrade")?.toLowerCase() === "websocket";
}

function refuseAsClose(err: ApiError): Response {
  return closeWith(closeCodeForRefusal(err.status), truncateReason(`${err.code}: ${err.message}`));
}

/** Accepts the upgrade in the Worker and closes at once with `code`. */
function closeWith(code: number, reason: string): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: client });
}
