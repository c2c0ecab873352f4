// The one real WebSocket to /mux shared by a SyncClient's providers: hands out channels
// (VirtualSocket), opens itself lazily when a channel wants it, keeps itself alive with its own
// ping, and on a drop closes every channel with 1006 so each provider reconnects with its own
// backoff (the first reconnect opens the next shared socket).
import { CloseCode } from "../protocol/close-codes";
import {
  MUX_PING,
  MuxClientKind,
  MuxServerKind,
  decodeClose,
  decodeMuxFrame,
  decodeText,
  encodeClose,
  encodeMuxFrame,
  encodeOpen,
  encodeText,
} from "../protocol/mux";
import { docNameOfUrl } from "../protocol/doc-name";
import { KeepAlive } from "./keep-alive";
import type { Clock, WebSocketConstructor, WebSocketLike } from "./types";
import { VirtualSocket, type ChannelCarrier } from "./virtual-socket";

/** The base URL a SyncClient gives its providers; they append `/<docId>?<query>` to it. */
export const CHANNEL_BASE = "mux:";

/** Close code of a dropped connection (no close frame), as WebSockets report it. */
const ABNORMAL_CLOSE = 1006;

export interface MuxSocketOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  clock: Clock;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
}

export class MuxSocket implements ChannelCarrier {
  private ws: WebSocketLike | null = null;
  private isOpen = false;
  private keepAlive: KeepAlive | null = null;
  private readonly channels = new Map<number, VirtualSocket>();
  /** Channel ids only grow (the server refuses a reused one), across shared sockets too. */
  private nextChannel = 0;
  /** Real sockets constructed so far. */
  socketsOpened = 0;
  /**
   * The server refused an open for this socket's channel budget (CLOSED 4529 before OPENED;
   * MUX_MAX_CHANNELS): new channels must go to a new socket, this one serves those it has.
   */
  spent = false;

  constructor(private readonly options: MuxSocketOptions) {}

  /** A new channel for the URL a provider built from CHANNEL_BASE (see connectionUrl). */
  channel(url: string): VirtualSocket {
    const rest = url.slice(CHANNEL_BASE.length).replace(/^\/+/, "");
    const at = rest.indexOf("?");
    const query = at === -1 ? "" : rest.slice(at + 1);
    const docId = docNameOfUrl(at === -1 ? rest : rest.slice(0, at), query);
    const channel = new VirtualSocket(this.nextChannel++, docId, query, this);
    this.channels.set(channel.channel, channel);
    if (this.isOpen) this.ws!.send(encodeOpen(channel.channel, docId, query));
    else this.connect();
    return channel;
  }

  send(channel: number, data: Uint8Array | string): void {
    if (!this.isOpen) return;
    this.ws!.send(
      typeof data === "string"
        ? encodeText(channel, MuxClientKind.Text, data)
        : encodeMuxFrame(channel, MuxClientKind.Frame, data),
    );
  }

  close(channel: number, code: number, reason: string): void {
    if (!this.channels.delete(channel)) return;
    if (this.isOpen) this.ws!.send(encodeClose(channel, MuxClientKind.Close, code, reason));
    // Nobody wants the shared socket any more: let it go (the next channel opens a new one).
    if (this.channels.size === 0) this.drop("no channels left", 1000);
  }

  /** Closes the shared socket and every channel. */
  destroy(): void {
    this.drop("client destroyed", 1000);
  }

  private connect(): void {
    if (this.ws) return;
    const ws = new this.options.WebSocket(this.options.url);
    this.socketsOpened++;
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (event) => ws === this.ws && this.onMessage(event.data);
    ws.onclose = (event) => this.dropped(ws, `mux socket closed: ${event.code} ${event.reason}`);
    ws.onerror = () => this.dropped(ws, "mux socket failed");
  }

  private onOpen(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    this.isOpen = true;
    const { clock, pingIntervalMs, pongTimeoutMs } = this.options;
    this.keepAlive = new KeepAlive(
      clock,
      () => this.ws?.send(MUX_PING),
      () => this.drop("no answer to ping"),
      pingIntervalMs,
      pongTimeoutMs,
    );
    for (const channel of this.channels.values())
      ws.send(encodeOpen(channel.channel, channel.docId, channel.query));
  }

  private onMessage(data: unknown): void {
    this.keepAlive?.noteMessage();
    if (typeof data === "string") return; // MUX_PONG: proof of life, nothing else
    let frame;
    try {
      frame = decodeMuxFrame(new Uint8Array(data as ArrayBuffer));
    } catch {
      return this.drop("undecodable frame from server");
    }
    const channel = this.channels.get(frame.channel);
    if (!channel) return; // closed on our side meanwhile
    try {
      switch (frame.kind) {
        case MuxServerKind.Opened:
          return channel.opened();
        case MuxServerKind.Frame:
          return channel.message(frame.payload.slice().buffer);
        case MuxServerKind.Text:
          return channel.message(decodeText(frame.payload));
        case MuxServerKind.Closed: {
          const { code, reason } = decodeClose(frame.payload);
          // Only the channel budget refuses our SDK's open with 4529 before it opened (a
          // document's rate limit closes an open socket).
          if (code === CloseCode.RateLimited && channel.readyState === 0) this.spent = true;
          this.channels.delete(frame.channel);
          channel.closed(code, reason);
          if (this.channels.size === 0) this.drop("no channels left", 1000);
          return;
        }
      }
    } catch {
      this.drop("undecodable frame from server");
    }
  }

  private dropped(ws: WebSocketLike, reason: string): void {
    if (ws === this.ws) this.drop(reason);
  }

  /** Lets the shared socket go; every channel still on it closes with 1006 (reconnect). */
  private drop(reason: string, code = 4000): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.isOpen = false;
    this.keepAlive?.stop();
    this.keepAlive = null;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const channel of channels) channel.closed(ABNORMAL_CLOSE, reason);
  }
}
