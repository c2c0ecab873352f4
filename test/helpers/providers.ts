// Stock y-websocket providers (from npm, over `ws`) pointed at a running server.
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

export function provider(
  wsUrl: string,
  docId: string,
  doc = new Y.Doc(),
  params: Record<string, string> = {},
) {
  return new WebsocketProvider(wsUrl, docId, doc, {
    WebSocketPolyfill: WebSocket as never,
    params,
    disableBc: true,
  });
}

/** Resolves once the provider has completed its first sync. */
export function whenSynced(p: WebsocketProvider, ms = 30_000): Promise<void> {
  if (p.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`provider for ${p.roomname} did not sync in ${ms} ms`)),
      ms,
    );
    p.once("sync", (synced: boolean) => {
      if (synced) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Polls until `check()` is true or the deadline passes (then throws with `describe()`). */
export async function eventually(
  check: () => boolean,
  describe: () => string,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let counter = 0;
export function uniqueDocId(prefix = "doc"): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${(counter++).toString(36)}`;
}
