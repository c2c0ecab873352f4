// An agent as a Worker: streams generated text into a live edgesync document over a service
// binding, chunk by chunk, shown in presence while it writes; every other request goes on to
// edgesync over a second binding, so people's editors connect through this Worker too. An app
// imports from `edgesync/server`; this one imports that entry's source by path, as the test runs
// it from this checkout.
import { EdgesyncRpcError, RemoteDoc, type EdgesyncRpc } from "../../../server";
import { generate, type StreamOptions } from "./generator";

interface Env {
  /** edgesync's RPC surface. */
  EDGESYNC: Service<EdgesyncRpc>;
  /** edgesync's HTTP routes and sockets, for everything this Worker does not answer itself. */
  EDGESYNC_HTTP: Fetcher;
}

/** Defaults of POST /stream: 10 KB in 200 chunks, 5 ms apart. */
const DEFAULT_STREAM = { bytes: 10_240, chunks: 200, delayMs: 5 };
/** Largest stream one request may ask for. */
const MAX_STREAM_BYTES = 1024 * 1024;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await route(request, env);
    } catch (err) {
      // A binding that failed (edgesync unreachable, an exception over RPC): a JSON error saying
      // so, not the runtime's HTML page.
      return json(
        { error: { code: "internal", message: String((err as Error)?.message ?? err) } },
        500,
      );
    }
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const [, prefix, action, encoded] = url.pathname.split("/");
  // The document name, percent-encoded in one segment (any name: see edgesync's PROTOCOL.md).
  const docId = encoded ? decodeURIComponent(encoded) : encoded;
  // Beside its own routes, the Worker passes every other request (sockets too) to edgesync.
  if (prefix !== "agent" || !docId) return env.EDGESYNC_HTTP.fetch(request);
  if (action === "stream" && request.method === "POST") return stream(env, docId, url);
  if (action === "apply" && request.method === "POST") {
    // One update as a one-off write: the RPC refusals, as a caller sees them.
    const role = url.searchParams.get("role") === "read" ? "read" : "write";
    const update = new Uint8Array(await request.arrayBuffer());
    const result = await env.EDGESYNC.apply(docId, update, { id: "agent-writer", role });
    return json(result, result.ok ? 200 : result.status);
  }
  if (action === "activity") return json(await env.EDGESYNC.activity(docId));
  if (action === "revert" && request.method === "POST") {
    // "Undo what the agent did": its changes in the window, reverted by its id (docs/history.md).
    const from = Number(url.searchParams.get("from") ?? 0);
    const to = Number(url.searchParams.get("to") ?? Date.now());
    const target = { actor: "agent-writer", from, to };
    const result = await env.EDGESYNC.revert(docId, target, { id: "reviewer" });
    return json(result, result.ok ? 200 : result.status);
  }
  if (action === "changes")
    return json(await env.EDGESYNC.changes(docId, { actor: "agent-writer" }));
  return json({ error: { code: "not_found", message: "no such route" } }, 404);
}

/** POST /agent/stream/:docId?bytes&chunks&delayMs&name&failAt&stallAt: appends generated text. */
async function stream(env: Env, docId: string, url: URL): Promise<Response> {
  const q = (name: string) => url.searchParams.get(name);
  const options: StreamOptions = {
    bytes: Math.min(Number(q("bytes") ?? DEFAULT_STREAM.bytes), MAX_STREAM_BYTES),
    chunks: Number(q("chunks") ?? DEFAULT_STREAM.chunks),
    delayMs: Number(q("delayMs") ?? DEFAULT_STREAM.delayMs),
    ...(q("failAt") ? { failAt: Number(q("failAt")) } : {}),
    ...(q("stallAt") ? { stallAt: Number(q("stallAt")) } : {}),
  };
  const actor = { id: "agent-writer", name: q("name") ?? "Agent writer", color: "#8a2be2" };
  const remote = await RemoteDoc.open(env.EDGESYNC, docId, { actor });
  const text = remote.doc.getText(q("field") ?? "text");
  // Append after what is there now; Yjs keeps each chunk right after the one before it.
  let at = text.length;
  let sent = 0;
  let bytes = 0;
  try {
    for await (const chunk of generate(options)) {
      text.insert(at, chunk);
      at += chunk.length;
      await remote.flush(remote.cursorAt(text, at)); // durable when it returns
      sent++;
      bytes += chunk.length;
    }
    await remote.commit();
    return json({ ok: true, chunks: sent, bytes });
  } catch (err) {
    await remote.close().catch(() => undefined); // the peer leaves at once (else its lease ends)
    const code = err instanceof EdgesyncRpcError ? err.code : "generator_failed";
    return json({ error: { code, message: (err as Error).message }, chunks: sent }, 500);
  }
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}
