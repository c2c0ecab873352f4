// GET /sync/:docId — the socket route, where WebSockets connect (HTTP sync is a REST route; see
// the names in durable-objects/contract). Validates, authenticates and checks the origin, then
// forwards the upgrade to the document's Durable Object (which hibernates; Hono's
// upgradeWebSocket helper cannot).
import { writeHandoff } from "../../durable-objects/contract";
import { createApp } from "../app";
import { authorize, checkOrigin, refuseRelayed } from "../auth";
import { docIdProblem } from "../doc-id";
import { documentStub } from "../documents";
import { ApiError, requireWebSocketUpgrade } from "../errors";
import { CloseCode, truncateReason } from "../../protocol/close-codes";
import { closeCodeForRefusal } from "../relay/refusals";

export const socketRoute = createApp();

socketRoute.all("/sync", () => {
  throw new ApiError(400, "invalid_doc_id", "document id is empty");
});
socketRoute.all("/sync/", () => {
  throw new ApiError(400, "invalid_doc_id", "document id is empty");
});

socketRoute.get("/sync/:docId", async (c) => {
  const docId = c.req.param("docId");
  const problem = docIdProblem(docId);
  if (problem) throw new ApiError(400, "invalid_doc_id", problem);
  requireWebSocketUpgrade(c);
  let handoff;
  try {
    checkOrigin(c);
    handoff = await authorize(c, docId, "read");
  } catch (err) {
    // Browsers cannot read an HTTP refusal of a WebSocket upgrade; clients that opt in
    // (?ext=1, our SDK) get it as a close code instead. Still no Durable Object is touched. A
    // relay's channel gets the refusal itself, and maps it by the same table (worker/relay/).
    if (err instanceof ApiError) {
      const relayed = refuseRelayed(c, err);
      if (relayed) return relayed;
      if (c.req.query("ext") === "1") return refuseAsClose(err);
    }
    throw err;
  }
  // A fresh header set: nothing the client sent can pose as the Worker's handoff.
  const headers = new Headers();
  for (const name of [
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
  ]) {
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
