// One WebSocket connection attempt of a SyncProvider, from construction to close: the connect
// timeout, the keep-alive and frames decoded into server messages. The provider decides what
// they mean (status, sync, reconnects); once detached, a link reports nothing more.
import { decodeServerMessage, type ServerMessage } from "../protocol/server-messages";
import { SyncError } from "./errors";
import { KeepAlive } from "./keep-alive";
import type { Clock, WebSocketLike } from "./types";

/** Give up on a connection attempt that has not opened after this long. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface LinkEvents {
  /** The socket opened; the server may still refuse us by closing it at once. */
  open(link: Link): void;
  /** A frame arrived, binary or text (the keep-alive's `pong`): the server accepted us. */
  frame(link: Link): void;
  message(link: Link, message: ServerMessage): void;
  /** The socket closed (the server closed it, or the network failed after it opened). */
  closed(link: Link, code: number, reason: string): void;
  /** We give up on the socket: it never opened, stopped answering, or sent `error`. */
  failed(link: Link, reason: string, error?: SyncError): void;
}

export class Link {
  private keepAlive: KeepAlive | null = null;
  private connectTimer: unknown;
  private attached = true;

  constructor(
    readonly ws: WebSocketLike,
    private readonly clock: Clock,
    private readonly events: LinkEvents,
    private readonly keepAliveMs: { pingIntervalMs?: number; pongTimeoutMs?: number } = {},
  ) {
    ws.binaryType = "arraybuffer";
    this.connectTimer = clock.setTimeout(
      () => this.fail("connection attempt timed out"),
      CONNECT_TIMEOUT_MS,
    );
    let opened = false;
    ws.onopen = () => ((opened = true), this.onOpen());
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = (event) => this.attached && events.closed(this, event.code, event.reason);
    // A failed attempt fires error, and browsers follow with close(1006) — Node's WebSocket
    // does not. After open, wait for close (it carries the code); keep-alive backs that up.
    ws.onerror = () => opened || this.fail("connection failed");
  }

  /** Stops reporting: handlers, the connect timeout and the keep-alive are let go. */
  detach(): void {
    this.attached = false;
    const ws = this.ws;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.clock.clearTimeout(this.connectTimer);
    this.keepAlive?.stop();
    this.keepAlive = null;
  }

  private onOpen(): void {
    if (!this.attached) return;
    this.clock.clearTimeout(this.connectTimer);
    this.keepAlive = new KeepAlive(
      this.clock,
      () => this.ws.send("ping"),
      () => this.fail("no answer to ping"),
      this.keepAliveMs.pingIntervalMs,
      this.keepAliveMs.pongTimeoutMs,
    );
    this.events.open(this);
  }

  private onMessage(data: unknown): void {
    if (!this.attached) return;
    this.keepAlive?.noteMessage();
    this.events.frame(this);
    if (typeof data === "string") return; // "pong", the auto-response
    let message: ServerMessage;
    try {
      message = decodeServerMessage(new Uint8Array(data as ArrayBuffer));
    } catch (err) {
      const error = new SyncError("protocol", (err as Error).message);
      return this.fail("undecodable frame from server", error);
    }
    this.events.message(this, message);
  }

  private fail(reason: string, error?: SyncError): void {
    if (this.attached) this.events.failed(this, reason, error);
  }
}
