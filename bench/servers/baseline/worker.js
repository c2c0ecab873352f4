// Bare baseline: a hibernating Durable Object per room that only receives frames (mode=recv), relays
// them (mode=relay), or inserts each into SQLite and relays it (mode=store-relay) — the runtime's ceiling.
// The relays answer a y-websocket sync step 1 themselves (see EMPTY_SYNC_STEP2), so providers can
// join them in the fan-out scenario.
import { DurableObject } from "cloudflare:workers";

/** Durable Object constructions in this isolate: a rise after idling means the objects hibernated. */
let constructed = 0;
/** Modes a socket may ask for with ?mode=; the sender's mode decides what happens to its frames. */
const MODES = new Set(["recv", "relay", "store-relay"]);
/**
 * y-websocket's sync step 2 with an empty update: the relays' answer to a provider's sync step 1
 * (fan-out's providers start from empty documents). Relaying step 1 instead makes every join
 * O(n²) — ~44,000 frames for 51 providers — and that storm was still draining when the writes
 * began (one run saw every reader 3.6 s late at once).
 */
const EMPTY_SYNC_STEP2 = new Uint8Array([0, 1, 2, 0, 0]);

export class BareRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    constructed++;
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    );
  }

  async fetch(request) {
    const mode = new URL(request.url).searchParams.get("mode") ?? "recv";
    if (!MODES.has(mode)) return new Response("unknown mode", { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [mode]);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    // A text frame is the end-of-run probe: frames are handled in order, so its echo means
    // every frame before it was handled.
    if (typeof message === "string") return ws.send(message);
    const [mode] = this.ctx.getTags(ws);
    if (mode === "recv") return;
    const bytes = new Uint8Array(message);
    if (bytes[0] === 0 && bytes[1] === 0) return ws.send(EMPTY_SYNC_STEP2); // sync step 1
    if (mode === "store-relay")
      this.ctx.storage.sql.exec("INSERT INTO log (data) VALUES (?)", message);
    for (const other of this.ctx.getWebSockets()) if (other !== ws) other.send(message);
  }

  webSocketClose(ws, code) {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closing");
    } catch {
      // already closed
    }
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/stats") return Response.json({ constructed });
    const match = /^\/ws\/([^/]+)$/.exec(url.pathname);
    if (!match) return new Response("not found", { status: 404 });
    return env.ROOMS.get(env.ROOMS.idFromName(match[1])).fetch(request);
  },
};
