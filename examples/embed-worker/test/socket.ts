// A Y.Doc synced over a raw WebSocket through the example Worker (the y-websocket protocol, with
// y-protocols' own sync messages), for the example's tests.
import { exports } from "cloudflare:workers";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

/** The y-websocket message type of sync messages. */
const SYNC = 0;
/** How long a test waits for text to arrive before it fails. */
const WAIT_MS = 5_000;

/** Sends `path` to the example Worker (its default export) as a request from outside. */
export function request(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`https://example.test${path}`, init));
}

export class SocketDoc {
  readonly doc = new Y.Doc();
  closed: { code: number; reason: string } | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (event) =>
      this.receive(new Uint8Array(event.data as ArrayBuffer)),
    );
    ws.addEventListener(
      "close",
      (event) => (this.closed = { code: event.code, reason: event.reason }),
    );
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      syncProtocol.writeUpdate(encoder, update);
      ws.send(encoding.toUint8Array(encoder));
    });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    ws.send(encoding.toUint8Array(encoder));
  }

  /** Opens a socket at `path` (e.g. `/collab/sync/notes-1?token=…`); throws on a refused upgrade. */
  static async open(path: string): Promise<SocketDoc> {
    const res = await request(path, { headers: { Upgrade: "websocket" } });
    if (res.status !== 101 || !res.webSocket)
      throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
    const ws = res.webSocket;
    (ws as unknown as { binaryType: string }).binaryType = "arraybuffer";
    ws.accept();
    return new SocketDoc(ws);
  }

  private receive(message: Uint8Array): void {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== SYNC) return; // awareness and the rest
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SYNC);
    syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
    if (encoding.length(encoder) > 1) this.ws.send(encoding.toUint8Array(encoder));
  }

  /** Resolves once text `t` reads `expected`; fails after WAIT_MS. */
  async waitForText(expected: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (this.doc.getText("t").toString() !== expected) {
      if (this.closed) throw new Error(`socket closed: ${this.closed.code} ${this.closed.reason}`);
      if (Date.now() > deadline)
        throw new Error(`text is ${JSON.stringify(this.doc.getText("t").toString())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.ws.close(1000, "done");
  }
}
