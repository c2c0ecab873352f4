// GET /mux — our SDK's many-documents socket (client/sync-client.ts). The Worker accepts the
// socket itself and opens each channel's document socket through the app (`dispatch`), so every
// check a direct /sync/:docId socket gets is the same code (see docs/multiplexing.md).
import type { Context } from "hono";
import { createApp, type AppEnv, type EdgesyncBindings } from "../app";
import { requireWebSocketUpgrade } from "../errors";
import { settingsOf } from "../settings";
import { MuxSession } from "./session";

/** The app the channels are dispatched through (its `fetch`, as the runtime calls it). */
export interface MuxApp {
  fetch(
    request: Request,
    env: EdgesyncBindings,
    ctx: Context<AppEnv>["executionCtx"],
  ): Response | Promise<Response>;
}

/** The /mux route, dispatching each channel's upgrade through `app`. */
export function muxRoute(app: MuxApp) {
  const route = createApp();
  route.get("/mux", (c) => {
    requireWebSocketUpgrade(c);
    // No origin check here: each channel's dispatch makes it, so a refused origin reaches the
    // SDK as CLOSED 4403 (a permanent stop), as on a direct ?ext=1 socket, not as a failed
    // upgrade that the provider would retry forever.
    const limits = settingsOf(c).muxLimits(c.env);
    const { env, executionCtx } = c;
    const dispatch = async (request: Request) => app.fetch(request, env, executionCtx);
    const { 0: client, 1: server } = new WebSocketPair();
    server.binaryType = "arraybuffer"; // not Blobs (the compatibility date's default)
    server.accept();
    const session = new MuxSession(server, c.req.raw, dispatch, limits);
    server.addEventListener("message", (event) => session.onMessage(event.data));
    server.addEventListener("close", () => session.onClose());
    server.addEventListener("error", () => session.onClose());
    return new Response(null, { status: 101, webSocket: client });
  });
  return route;
}
