// Sockets opened through the real Worker inside workerd (vitest-plugin), with a message
// queue the tests can wait on, and Yjs-aware helpers.
import { env, exports } from "cloudflare:workers";
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import { encodeSyncStep1, encodeSyncUpdate, MessageType } from "../../protocol/messages";

export interface TestSocket {
  ws: WebSocket;
  messages: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | null;
  /** Waits until a message matching `predicate` has arrived (checks old ones too). */
  waitFor(predicate: (m: Uint8Array) => boolean, ms?: number): Promise<Uint8Array>;
  send(data: Uint8Array | string): void;
}

let counter = 0;
/** A document id unique to this test run. */
export function uniqueDocId(prefix = "doc"): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export async function fetchWorker(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://edgesync.test${path}`, init));
}

export async function openSocket(
  path: string,
  headers: Record<string, string> = {},
): Promise<TestSocket> {
  const res = await fetchWorker(path, { headers: { Upgrade: "websocket", ...headers } });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws)
    throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  (ws as unknown as { binaryType: string }).binaryType = "arraybuffer";
  ws.accept();
  const messages: Uint8Array[] = [];
  const waiters: (() => void)[] = [];
  const socket: TestSocket = {
    ws,
    messages,
    closeInfo: null,
    closed: new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        socket.closeInfo = { code: e.code, reason: e.reason };
        resolve(socket.closeInfo);
        for (const w of waiters.splice(0)) w();
      });
    }),
    async waitFor(predicate, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (socket.closeInfo)
          throw new Error(
            `socket closed (${socket.closeInfo.code} ${socket.closeInfo.reason}) while waiting`,
          );
        const left = deadline - Date.now();
        if (left <= 0) throw new Error("timed out waiting for a message");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    send(data) {
      ws.send(data);
    },
  };
  ws.addEventListener("message", (e) => {
    if (typeof e.data === "string") messages.push(new TextEncoder().encode(e.data));
    else messages.push(new Uint8Array(e.data as ArrayBuffer));
    for (const w of waiters.splice(0)) w();
  });
  return socket;
}

/** A Y.Doc kept in sync over a TestSocket with the y-protocols sync messages. */
export class SyncedDoc {
  private seen = 0;
  /** `doc` may already hold content (a returning client); by default it is empty. */
  constructor(
    readonly socket: TestSocket,
    readonly doc = new Y.Doc(),
  ) {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== this) socket.send(encodeSyncUpdate(update));
    });
    socket.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
  }

  static async open(docId: string, query = "", doc?: Y.Doc): Promise<SyncedDoc> {
    const synced = new SyncedDoc(await openSocket(`/sync/${docId}${query}`), doc);
    await synced.socket.waitFor((m) => m[0] === MessageType.Sync);
    synced.pump();
    return synced;
  }

  /** Applies every sync message received so far (answers step 1 with step 2). */
  pump(): void {
    const { messages } = this.socket;
    for (; this.seen < messages.length; this.seen++) {
      const decoder = decoding.createDecoder(messages[this.seen]!);
      if (decoding.readVarUint(decoder) !== MessageType.Sync) continue;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MessageType.Sync);
      syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
      if (encoding.length(encoder) > 1) this.socket.send(encoding.toUint8Array(encoder));
    }
  }

  /** Waits until this doc's text `name` equals `expected`. */
  async waitForText(expected: string, name = "t", ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      this.pump();
      if (this.doc.getText(name).toString() === expected) return;
      if (Date.now() > deadline) {
        const actual = this.doc.getText(name).toString();
        throw new Error(
          `text is ${actual.length} chars ${JSON.stringify(actual.slice(0, 80))}…, expected ${expected.length} chars ${JSON.stringify(expected.slice(0, 80))}…`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** The Durable Object stub of a document. */
export function stubFor(docId: string) {
  return env.DOCUMENTS.get(env.DOCUMENTS.idFromName(docId));
}
