// One document of a Hocuspocus socket: a channel of the relay core (worker/relay/), opened through
// the app's own /sync/:id route with the document's token as its Bearer header, like any
// y-websocket client (`?ext=1`). Frames are translated both ways; SyncStatus is sent only when the
// saved echo says the update is stored.
import * as decoding from "lib0/decoding";
import type { Handoff } from "../../durable-objects/contract";
import { CloseCode, isPermanentClose } from "../../protocol/close-codes";
import {
  HocuspocusType,
  encodeAuthenticated,
  encodeClose,
  encodePermissionDenied,
  encodeSyncStatus,
  fromYWebsocket,
  splitYWebsocket,
  syncTypeOf,
  toYWebsocket,
  type HocuspocusFrame,
} from "../../protocol/hocuspocus";
import { MessageType, SyncType, encodeSaved } from "../../protocol/messages";
import type { QueueBudget } from "../relay/budgets";
import type { ChannelEvents, RelayChannel } from "../relay/channel";
import type { RelayConnection } from "../relay/connection";

/** Hocuspocus's reason when a refreshed token is refused (its `Unauthorized` close event). */
export const UNAUTHORIZED_REASON = "Unauthorized";

/** What a link needs from its socket. */
export interface LinkHost {
  /** `reply`: a sync step 2 (see RelayConnection.toClient). */
  sendToClient(frame: Uint8Array, reply?: boolean): void;
  /** The link ended (detached, refused or failed): forget it. */
  forget(link: DocumentLink): void;
  /** The document's socket failed transiently: the client must reconnect and sync again. */
  failSocket(code: number, reason: string): void;
  /** The document's token expired: ask the client for a fresh one (Auth·Token, no token). */
  requestToken(link: DocumentLink): void;
  /** The document is open (authenticated and connected): no longer pending. */
  opened(link: DocumentLink): void;
  /** The app refused to open the document: it never reached its Durable Object (no attach). */
  refusedAttach(link: DocumentLink): void;
}

type LinkState = "waiting-auth" | "opening" | "open" | "closed";

/** Frames held by all links of one socket, and their cap (RelayLimits.maxPendingMessages). */
export interface HeldFrames {
  count: number;
  readonly max: number;
}

export class DocumentLink implements ChannelEvents {
  state: LinkState = "waiting-auth";
  readonly = false;
  /** Client frames held until the document's socket is open (auth first, as Hocuspocus does). */
  private queue: HocuspocusFrame[] = [];
  private queuedBytes = 0;
  private channel: RelayChannel | null = null;
  /** Saved-ack counter sent after each update; `pending` holds those not yet echoed, in order. */
  private counter = 0;
  private pending: number[] = [];
  /**
   * Set when the token expired and a fresh one was asked for: the next open re-attaches an
   * authenticated document, so the client gets no second Authenticated.
   */
  refreshing = false;
  /** The client's last sync step 1, as sent to the document; replayed on re-attach. */
  private lastStep1: Uint8Array | null = null;
  /**
   * Updates sent over an expired document socket with no stored echo yet: each may have been
   * lost with it, and all are in the client's step 2 answering the new socket's step 1.
   */
  private carried = 0;
  /** Re-attached after a refresh; the client's step 2 answering the new step 1 is still to come. */
  private resyncing = false;

  constructor(
    readonly address: string,
    readonly documentName: string,
    private readonly host: LinkHost,
    private readonly budget: QueueBudget,
    private readonly held: HeldFrames,
  ) {}

  /** Holds a frame until the document opens; false when a cap of the connection is reached. */
  hold(message: HocuspocusFrame): boolean {
    if (this.held.count >= this.held.max) return false;
    if (!this.budget.take(message.payload.byteLength)) return false;
    this.held.count++;
    this.queue.push(message);
    this.queuedBytes += message.payload.byteLength;
    return true;
  }

  /** Opens the document through the app's /sync route with `token`; holds frames meanwhile. */
  open(connection: RelayConnection, token: string): void {
    this.state = "opening";
    this.channel = connection.open(this, this.documentName, "", token);
  }

  opened(handoff: Handoff): void {
    if (this.state !== "opening") return;
    this.readonly = handoff.role === "read";
    this.state = "open";
    this.host.opened(this);
    if (!this.refreshing) {
      const scope = this.readonly ? "readonly" : "read-write";
      this.host.sendToClient(encodeAuthenticated(this.address, scope));
    } else if (this.lastStep1) {
      // The document's updates made while this client was detached: its step 1 (stale, so the
      // answer may repeat some, which Yjs ignores) brings them as the document's step 2.
      this.toDocument(this.lastStep1);
    }
    this.refreshing = false;
    const held = this.releaseQueue();
    for (const message of held) this.fromClient(message);
  }

  ended(code: number, reason: string, refused: boolean): void {
    if (this.state === "closed") return;
    this.channel = null;
    if (refused) return this.refused(reason);
    this.documentClosed(code, reason);
  }

  /**
   * The app refused the document (token, id, origin). Forgotten at once, as Hocuspocus forgets
   * it, so refusals cost nothing after: a new Auth message starts over as a first attempt. A
   * refused token refresh ends the document with Hocuspocus's CLOSE "Unauthorized".
   */
  private refused(reason: string): void {
    const refresh = this.refreshing;
    this.state = "closed";
    this.releaseQueue();
    this.host.forget(this);
    this.host.refusedAttach(this);
    this.host.sendToClient(
      refresh
        ? encodeClose(this.address, UNAUTHORIZED_REASON)
        : encodePermissionDenied(this.address, reason),
    );
  }

  message(data: ArrayBuffer | string, reply: boolean): void {
    if (typeof data !== "string") this.fromDocument(data, reply);
  }

  /** A frame from the client for this document, once authenticated. */
  fromClient(message: HocuspocusFrame): void {
    if (this.state !== "open") return;
    switch (message.type) {
      case HocuspocusType.Sync:
      case HocuspocusType.SyncReply: {
        const syncType = syncTypeOf(message.payload);
        if (syncType === SyncType.Update && this.readonly) {
          // Hocuspocus refuses a read-only update with SyncStatus(false) and applies nothing.
          this.host.sendToClient(encodeSyncStatus(this.address, false));
          return;
        }
        const frame = toYWebsocket(message)!;
        this.toDocument(frame);
        if (syncType === SyncType.Step1) this.lastStep1 = frame;
        if (syncType === SyncType.Step2 || syncType === SyncType.Update) {
          // One SyncStatus per status the provider awaits. The step 2 answering a re-attach's
          // step 1 is owed none of its own (the provider started no sync), but it holds what
          // the expired socket lost: once it is stored, so are those updates.
          let owed = 1;
          if (syncType === SyncType.Step2 && this.resyncing) {
            [owed, this.carried, this.resyncing] = [this.carried, 0, false];
          }
          if (owed === 0) return;
          this.counter++;
          for (let i = 0; i < owed; i++) this.pending.push(this.counter);
          // The echo is held by the document's output gate until this update is stored.
          this.toDocument(encodeSaved(this.counter));
        }
        return;
      }
      case HocuspocusType.Awareness:
      case HocuspocusType.QueryAwareness:
        this.toDocument(toYWebsocket(message)!);
        return;
      case HocuspocusType.Stateless:
        // The same `varString payload`; the document relays it to its other sockets.
        this.toDocument(toYWebsocket(message, MessageType.Stateless)!);
        return;
      case HocuspocusType.Auth:
        return; // a token sent again on an authenticated document: nothing to change
      case HocuspocusType.Close:
        this.host.sendToClient(encodeClose(this.address, "provider_initiated"));
        this.detach();
        return;
      default:
        this.host.sendToClient(
          encodeClose(this.address, `unexpected message type ${message.type}`),
        );
        this.detach();
    }
  }

  private toDocument(frame: Uint8Array): void {
    this.channel?.send(frame);
  }

  private fromDocument(data: ArrayBuffer, reply: boolean): void {
    if (this.state !== "open") return;
    const { type, payload } = splitYWebsocket(new Uint8Array(data));
    switch (type) {
      case MessageType.Sync:
      case MessageType.Awareness:
        this.host.sendToClient(fromYWebsocket(this.address, type, payload), reply);
        return;
      case MessageType.Stateless:
        this.host.sendToClient(fromYWebsocket(this.address, HocuspocusType.Stateless, payload));
        return;
      case MessageType.Auth:
        // Permission denied for a read-only socket's step 2 that held changes: not stored,
        // and the document sends no echo for its counter.
        if (this.pending.shift() !== undefined)
          this.host.sendToClient(encodeSyncStatus(this.address, false));
        return;
      case MessageType.Saved: {
        const saved = decoding.readVarUint(decoding.createDecoder(payload));
        while (this.pending.length > 0 && this.pending[0]! <= saved) {
          this.pending.shift();
          this.host.sendToClient(encodeSyncStatus(this.address, true));
        }
        return;
      }
      default:
        return; // the epoch extension, meaningless to Hocuspocus clients
    }
  }

  private documentClosed(code: number, reason: string): void {
    if (code === CloseCode.Unauthenticated && this.state === "open") {
      // The token expired (the object closes its sockets at `exp`): like Hocuspocus, ask the
      // provider for a fresh token and hold this document's frames until it is checked.
      this.state = "waiting-auth";
      this.refreshing = true;
      this.resyncing = true;
      this.carried += this.pending.length;
      this.pending = [];
      this.host.requestToken(this);
      return;
    }
    this.state = "closed";
    this.releaseQueue();
    this.host.forget(this);
    console.error(`edgesync: relayed socket of ${this.documentName} closed: ${code} ${reason}`);
    // Refusals that are about this document alone (bad frame, too large, deleted, expired,
    // unavailable) detach it; the other documents on the socket carry on.
    if (isPermanentClose(code) || code === CloseCode.DocumentUnavailable) {
      this.host.sendToClient(encodeClose(this.address, `${code}: ${reason}`));
    } else {
      // Anything else (a crash, an eviction, a rate limit): updates in flight may be lost, and
      // only a new sync handshake recovers them, so the provider must reconnect.
      this.host.failSocket(code >= 4500 && code <= 4599 ? code : CloseCode.InternalError, reason);
    }
  }

  /** Ends this document's link (client CLOSE, client gone, or refusal). */
  detach(): void {
    this.state = "closed";
    this.releaseQueue();
    this.host.forget(this);
    this.channel?.close(1000, "detached");
    this.channel = null;
  }

  private releaseQueue(): HocuspocusFrame[] {
    const held = this.queue;
    this.budget.release(this.queuedBytes);
    this.held.count -= held.length;
    this.queue = [];
    this.queuedBytes = 0;
    return held;
  }
}
