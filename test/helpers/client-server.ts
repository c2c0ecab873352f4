// Helpers for the client SDK's tests against the real server: an async key-value storage
// (AsyncStorage's shape) over a Map, a WebSocket class that counts what it sends, and a
// look at what the server holds.
import * as Y from "yjs";
import { SyncProvider } from "../../client/index";

/** AsyncStorage-like storage backed by a Map that outlives any one provider ("the device"). */
export function memoryStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: async (key: string) => map.get(key) ?? null,
    setItem: async (key: string, value: string) => void map.set(key, value),
    removeItem: async (key: string) => void map.delete(key),
  };
}

export interface SocketCounter {
  /** Connection attempts (sockets constructed). */
  opened: number;
  /** Times each socket was constructed, in ms since the epoch. */
  openedAt: number[];
  /** Frames sent, over all sockets. */
  sent: number;
  /** Byte length of each binary frame sent. */
  sizes: number[];
}

/** Wraps a WebSocket class (Node's global by default) to count attempts and frames sent. */
export function countingWebSocket<T extends new (url: string) => { send(data: never): void }>(
  Base: T = globalThis.WebSocket as unknown as T,
): { WebSocket: T; counter: SocketCounter } {
  const counter: SocketCounter = { opened: 0, openedAt: [], sent: 0, sizes: [] };
  // @ts-expect-error -- a mixin over an arbitrary WebSocket constructor
  class Counting extends Base {
    constructor(...args: unknown[]) {
      // @ts-expect-error -- forwarded as given (ws takes more arguments than the WHATWG class)
      super(...args);
      counter.opened++;
      counter.openedAt.push(Date.now());
    }
    override send(data: never): void {
      counter.sent++;
      if (typeof data !== "string") counter.sizes.push((data as ArrayBufferView).byteLength);
      super.send(data);
    }
  }
  return { WebSocket: Counting as unknown as T, counter };
}

/** What the server holds for `docId`: a fresh SyncProvider's text after its first sync. */
export async function serverText(wsUrl: string, docId: string, name = "t"): Promise<string> {
  const p = new SyncProvider({ url: wsUrl, docId, doc: new Y.Doc() });
  await p.whenSynced();
  const text = p.doc.getText(name).toString();
  await p.destroy();
  return text;
}
