// GET /sync/:docId — the WebSocket endpoint. Validates, authenticates and checks the origin,
// then forwards the upgrade to the document's Durable Object (which hibernates; Hono's
// upgradeWebSocket helper cannot).
import { writeHandoff } from "../../durable-objects/handoff";
import { createApp } from "../app";
import { authorize, checkOrigin } from "../auth";
import { docIdProblem } from "../doc-id";
import { ApiError } from "../errors";

export const sync = createApp();

sync.all("/sync", () => {
  throw new ApiError(400, "invalid_doc_id", "document id is empty");
});
sync.all("/sync/", () => {
  throw new ApiError(400, "invalid_doc_id", "document id is empty");
});

sync.get("/sync/:docId", async (c) => {
  const docId = c.req.param("docId");
  const problem = docIdProblem(docId);
  if (problem) throw new ApiError(400, "invalid_doc_id", problem);
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "this endpoint speaks WebSocket: send Upgrade: websocket");
  }
  checkOrigin(c);
  const handoff = await authorize(c, docId, "read");
  // A fresh header set: nothing the client sent can pose as the Worker's handoff.
  const headers = new Headers();
  for (const name of ["Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"]) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  writeHandoff(headers, handoff);
  const stub = c.env.DOCUMENTS.get(c.env.DOCUMENTS.idFromName(docId));
  return stub.fetch(new Request(c.req.url, { headers }));
});
