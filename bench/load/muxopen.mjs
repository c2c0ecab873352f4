// Load generator for opening many documents at once: time from the first socket until every
// document is synced, for one socket per document (y-websocket) or one socket shared by all
// (@hocuspocus/provider's HocuspocusProviderWebsocket). With `write`, each document then gets a
// marker text that the next, warm, open of the same documents must find.
import { performance } from "node:perf_hooks";
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { config, report } from "../lib/sockets.mjs";

/** How long all documents may take to sync. */
const SYNC_TIMEOUT_MS = 120_000;
/** How long, after writing the markers, the server may take to confirm or receive them. */
const STORE_TIMEOUT_MS = 30_000;
/** y-websocket has no stored signal: the sockets stay open this long after writing. */
const Y_WEBSOCKET_WRITE_GRACE_MS = 2_000;

// { client: "y-websocket" | "hocuspocus-shared", url, docs: string[], write: string | null, expect: string | null }
const cfg = config();
const text = (doc) => doc.getText("t").toString();

/** Opens every document; returns handles with `doc`, `destroy()`, and a promise of its sync. */
function open() {
  if (cfg.client === "y-websocket") {
    return cfg.docs.map((name) => {
      const doc = new Y.Doc();
      const p = new WebsocketProvider(cfg.url, name, doc, {
        WebSocketPolyfill: WebSocket,
        disableBc: true,
      });
      const synced = new Promise((resolve) => p.once("sync", resolve));
      return { doc, synced, saved: () => true, destroy: () => p.destroy() };
    });
  }
  if (cfg.client === "hocuspocus-shared") {
    const socket = new HocuspocusProviderWebsocket({ url: cfg.url, WebSocketPolyfill: WebSocket });
    const handles = cfg.docs.map((name) => {
      const doc = new Y.Doc();
      let onSynced;
      const synced = new Promise((resolve) => (onSynced = resolve));
      const p = new HocuspocusProvider({
        websocketProvider: socket,
        name,
        document: doc,
        token: "bench",
        onSynced: () => onSynced(),
      });
      p.attach(); // a shared socket's providers attach explicitly (4.x)
      return { doc, synced, saved: () => !p.hasUnsyncedChanges, destroy: () => p.destroy() };
    });
    handles.at(-1).destroySocket = () => socket.destroy();
    return handles;
  }
  throw new Error(`unknown client ${cfg.client}`);
}

const started = performance.now();
const handles = open();
for (const h of handles) h.synced.then(() => (h.done = true));
const timeout = new Promise((_, reject) =>
  setTimeout(() => reject(new Error("documents did not sync in time")), SYNC_TIMEOUT_MS).unref(),
);
try {
  await Promise.race([Promise.all(handles.map((h) => h.synced)), timeout]);
} catch (err) {
  const done = handles.filter((h) => h.done).length;
  report("error", { message: `${err.message}: ${done} of ${handles.length} synced` });
  process.exit(1);
}
const ms = performance.now() - started;
// Synced means the server's step 2 was applied: a warm open's documents hold the marker by now.
const verified = cfg.expect === null ? null : handles.every((h) => text(h.doc) === cfg.expect);

if (cfg.write !== null) {
  for (const h of handles) h.doc.getText("t").insert(0, cfg.write);
  const deadline = performance.now() + STORE_TIMEOUT_MS;
  while (!handles.every((h) => h.saved()) && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  if (cfg.client === "y-websocket")
    await new Promise((r) => setTimeout(r, Y_WEBSOCKET_WRITE_GRACE_MS));
}
for (const h of handles) {
  h.destroy();
  h.destroySocket?.();
}
report("result", { ms, verified, docs: cfg.docs.length });
process.exit(0);
