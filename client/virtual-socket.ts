// A channel of the shared /mux socket dressed as a WebSocket (WebSocketLike), so a SyncProvider
// drives it exactly as it drives a direct socket: the same open, message and close events, the
// same close codes. The SyncClient (sync-client.ts) delivers its events and carries its frames.
import type { WebSocketLike } from "./types";

/** WHATWG readyState values. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** What a channel needs from the shared socket. */
export interface ChannelCarrier {
  send(channel: number, data: Uint8Array | string): void;
  /** The provider closed its socket: tell the server and forget the channel. */
  close(channel: number, code: number, reason: string): void;
}

export class VirtualSocket implements WebSocketLike {
  binaryType = "arraybuffer";
  readyState = CONNECTING;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly channel: number,
    readonly docId: string,
    /** The query string a direct socket to /sync/:docId would carry (token, epoch, ext). */
    readonly query: string,
    private readonly carrier: ChannelCarrier,
  ) {}

  send(data: Uint8Array | string): void {
    // As a WebSocket: an error before open, silently dropped once closing.
    if (this.readyState === CONNECTING) throw new Error("InvalidStateError: still connecting");
    if (this.readyState === OPEN) this.carrier.send(this.channel, data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.carrier.close(this.channel, code, reason);
    // A WebSocket reports its own close() with a close event too, asynchronously.
    void Promise.resolve().then(() => this.onclose?.({ code, reason }));
  }

  /** The server opened the document's socket. */
  opened(): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.onopen?.({});
  }

  /** A frame from the document: an ArrayBuffer (binary) or a string (the keep-alive's pong). */
  message(data: ArrayBuffer | string): void {
    if (this.readyState === OPEN) this.onmessage?.({ data });
  }

  /** The document's socket closed (CLOSED from the server), or the shared socket dropped (1006). */
  closed(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.onclose?.({ code, reason });
  }
}
