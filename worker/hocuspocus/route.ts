// GET /hocuspocus — the Hocuspocus-protocol endpoint (@hocuspocus/provider, Tiptap). The Worker
// accepts the socket itself and opens each document through the app's own /sync/:id route (the
// relay core, worker/relay/); the URL names no document, so the origin is the only check made
// before the upgrade.
import { createApp } from "../app";
import { checkOrigin } from "../auth";
import { requireWebSocketUpgrade } from "../errors";
import { acceptRelay, type RelayApp } from "../relay/connection";
import { replyBudgetFromEnv } from "../relay/limits";
import { settingsOf } from "../settings";
import { HocuspocusSession } from "./session";

/** The /hocuspocus route, opening each document through `app`. */
export function hocuspocusRoute(app: RelayApp) {
  const route = createApp();
  route.get("/hocuspocus", (c) => {
    requireWebSocketUpgrade(c);
    checkOrigin(c);
    const limits = settingsOf(c).relayLimits(c.env);
    const budgets = { ...replyBudgetFromEnv(c.env), maxQueuedBytes: limits.maxPendingBytes };
    return acceptRelay(c, app, budgets, (socket, connection) => {
      return new HocuspocusSession(socket, connection, limits);
    });
  });
  return route;
}
