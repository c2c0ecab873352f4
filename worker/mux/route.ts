// GET /mux — our SDK's many-documents socket (client/sync-client.ts). The Worker accepts the
// socket itself and opens each channel's document socket through the app's own /sync/:id route
// (the relay core, worker/relay/), so every check a direct socket gets is the same code (see
// docs/multiplexing.md).
import { createApp } from "../app";
import { acceptRelay, type RelayApp } from "../relay/connection";
import { replyBudgetFromEnv } from "../relay/limits";
import { settingsOf } from "../settings";
import { MuxSession } from "./session";

/** The /mux route, dispatching each channel's upgrade through `app`. */
export function muxRoute(app: RelayApp) {
  const route = createApp();
  route.get("/mux", (c) => {
    // No origin check here: each channel's dispatch makes it, so a refused origin reaches the
    // SDK as CLOSED 4403 (a permanent stop), as on a direct ?ext=1 socket, not as a failed
    // upgrade that the provider would retry forever.
    const limits = settingsOf(c).muxLimits(c.env);
    const budgets = { ...replyBudgetFromEnv(c.env), maxQueuedBytes: limits.maxQueuedBytes };
    return acceptRelay(c, app, budgets, (socket, connection) => {
      return new MuxSession(socket, connection, limits);
    });
  });
  return route;
}
