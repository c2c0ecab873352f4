// One channel of a relayed connection (/mux, /hocuspocus): the WebSocket a direct client would
// have opened to `/sync/<docId>?ext=1`, opened through the app's own route (so every check is that
// route's code, worker/relay/connection.ts builds the request) and relayed frame for frame.
// Frames sent before it opens are queued within the connection's budget; replies are charged to
// the connection's reply budget (and told apart for the connection's unread bound, toClient); a
// refusal or close reaches its owner as one `ended` call.
import type { Handoff } from "../../durable-objects/contract";
import * as decoding from "lib0/decoding";
import { CloseCode, truncateReason } from "../../protocol/close-codes";
import { MessageType } from "../../protocol/envelope";
import type { RelayTicket } from "../auth";
import type { QueueBudget, ReplyBudget } from "./budgets";
import { closeCodeForRefusal } from "./refusals";

/** The app's own request handler: auth, doc-id and origin checks and the upgrade, one code path. */
export type Dispatch = (request: Request) => Promise<Response>;

/** What a channel tells the protocol translator that owns it. */
export interface ChannelEvents {
  /** The document's socket opened with what the app's route granted. */
  opened(handoff: Handoff): void;
  /**
   * A frame from the document, as it came (no copy); `reply`: part of the answer to the client's
   * step 1 — a sync step 2, or an announced first sync's parts (sync updates) before it — charged
   * to the reply budget, to be sent with RelayConnection.toClient's flag.
   */
  message(data: ArrayBuffer | string, reply: boolean): void;
  /**
   * The channel ended from the document's side: its socket closed (`refused` false) or the app
   * refused to open it (`refused` true: an HTTP refusal, mapped by the one table in refusals.ts).
   * Not called for a close the owner asked for.
   */
  ended(code: number, reason: string, refused: boolean): void;
}

/** The budgets a channel shares with the other channels of its connection. */
export interface ConnectionBudgets {
  queue: QueueBudget;
  replies: ReplyBudget;
}

type ChannelState = "opening" | "open" | "closed";

/** WebSocket.readyState once close() was called (CLOSING, then CLOSED). */
const WS_CLOSING = 2;

/** y-websocket's sync message (0) carrying a step 2 (1): the reply to a step 1. */
const isSyncStep2 = (frame: ArrayBuffer): boolean => {
  if (frame.byteLength < 2) return false;
  const head = new Uint8Array(frame, 0, 2);
  return head[0] === 0 && head[1] === 1;
};

/** y-websocket's sync message (0) carrying an update (2): a first sync's part, or an edit. */
const isSyncUpdate = (frame: ArrayBuffer): boolean => {
  if (frame.byteLength < 2) return false;
  const head = new Uint8Array(frame, 0, 2);
  return head[0] === 0 && head[1] === 2;
};

/**
 * The update bytes a first sync in parts announces (the progress extension, `[103, varUint parts,
 * varUint updateBytes]`): its parts come as sync updates, charged here as one reply. Null for
 * any other frame.
 */
const announcedBytes = (frame: ArrayBuffer): number | null => {
  const bytes = new Uint8Array(frame);
  if (bytes[0] !== MessageType.Progress) return null;
  try {
    const decoder = decoding.createDecoder(bytes.subarray(1));
    decoding.readVarUint(decoder);
    return decoding.readVarUint(decoder);
  } catch {
    return null;
  }
};

/** close() accepts only 1000 and 3000–4999; anything else becomes a normal close. */
const closableCode = (code: number) =>
  code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;

export class RelayChannel {
  state: ChannelState = "opening";
  private queue: (Uint8Array | string)[] = [];
  private queuedBytes = 0;
  /**
   * Between a first sync's announcement and its step 2: the document sends nothing but its parts
   * then (durable-objects/pacing.ts), so every sync update is a part, counted as a reply.
   */
  private inParts = false;
  private ws: WebSocket | null = null;

  constructor(
    private readonly events: ChannelEvents,
    private readonly budgets: ConnectionBudgets,
  ) {}

  /** Opens the document's socket by dispatching `request`, then relays what was queued. */
  async open(request: Request, ticket: RelayTicket, dispatch: Dispatch): Promise<void> {
    let response: Response;
    try {
      response = await dispatch(request);
    } catch (err) {
      console.error(`edgesync: a relay channel failed to open: ${String(err)}`);
      return this.end(CloseCode.InternalError, "internal error opening the document", false);
    }
    const ws = response.webSocket;
    if (this.state !== "opening") {
      // The owner closed the channel (or the client left) while we connected.
      if (ws) (ws.accept(), ws.close(1000, "channel closed"));
      return;
    }
    if (response.status !== 101 || !ws || !ticket.handoff)
      return this.refused(response, ws, ticket);
    ws.binaryType = "arraybuffer"; // not Blobs (the compatibility date's default)
    ws.accept();
    this.ws = ws;
    this.state = "open";
    ws.addEventListener("message", (event) => this.fromDocument(event.data));
    ws.addEventListener("close", (event) => this.end(event.code, event.reason, false));
    ws.addEventListener("error", () => this.end(1006, "document socket failed", false));
    this.events.opened(ticket.handoff);
    const held = this.releaseQueue();
    for (const frame of held) this.send(frame);
  }

  /**
   * A frame for the document: sent, or queued while the channel opens. False when the queue would
   * pass the connection's cap (nothing queued); the owner decides what that closes.
   */
  send(frame: Uint8Array | string): boolean {
    if (this.state === "opening") {
      const bytes = typeof frame === "string" ? frame.length : frame.byteLength;
      if (!this.budgets.queue.take(bytes)) return false;
      this.queue.push(frame);
      this.queuedBytes += bytes;
      return true;
    }
    if (this.state === "open") {
      try {
        this.ws!.send(frame);
      } catch {
        // The document's socket is closing; its close event ends the channel.
      }
    }
    return true;
  }

  /**
   * The owner ends the channel (the client closed it or left): the document's socket is closed
   * with `code` and `reason` cut to what a close frame carries. No `ended` call follows.
   */
  close(code: number, reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.releaseQueue();
    this.closeSocket(closableCode(code), reason);
  }

  /**
   * Whether a frame answers the client's step 1: the progress announcement and the parts it
   * announces (sync updates, until the step 2 that ends them) and the step 2. The parts are
   * replies for the unread bound too: a slow client reading a large first sync is not closed.
   */
  private isReply(frame: ArrayBuffer): boolean {
    if (isSyncStep2(frame)) {
      this.inParts = false;
      return true;
    }
    if (announcedBytes(frame) !== null) return (this.inParts = true);
    return this.inParts && isSyncUpdate(frame);
  }

  /** What a reply costs the budget: an announcement its whole total, a part nothing more. */
  private replyCharge(frame: ArrayBuffer): number {
    if (isSyncStep2(frame)) return frame.byteLength;
    return announcedBytes(frame) ?? 0;
  }

  private fromDocument(data: ArrayBuffer | string): void {
    if (this.state !== "open") return;
    const reply = typeof data === "string" ? false : this.isReply(data);
    if (reply && !this.budgets.replies.charge(this.replyCharge(data as ArrayBuffer))) {
      // Not relayed: the connection may make the Worker hold no more replies (budgets.ts).
      return this.end(CloseCode.RateLimited, "reply budget of this connection exceeded", false);
    }
    this.events.message(data, reply);
  }

  /** A refusal answered over HTTP (token, doc id, origin): its code and message, via the table. */
  private async refused(
    response: Response,
    ws: WebSocket | null,
    ticket: RelayTicket,
  ): Promise<void> {
    if (ws) {
      // A 101 without a grant: the route answered with a socket after all; close it.
      ws.accept();
      ws.close(1000, "refused");
    }
    const { refusal } = ticket;
    if (refusal) {
      return this.end(
        closeCodeForRefusal(refusal.status),
        `${refusal.code}: ${refusal.message}`,
        true,
      );
    }
    let reason = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      if (body.error) reason = `${body.error.code}: ${body.error.message}`;
    } catch {
      // not our JSON error shape: the status says enough
    }
    this.end(closeCodeForRefusal(response.status), reason, true);
  }

  /** The document's side ended: close its socket if still open and tell the owner once. */
  private end(code: number, reason: string, refused: boolean): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.releaseQueue();
    this.closeSocket(1000, "channel closed");
    this.events.ended(code, truncateReason(reason), refused);
  }

  private releaseQueue(): (Uint8Array | string)[] {
    const held = this.queue;
    this.budgets.queue.release(this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    return held;
  }

  /** Closes the document's socket; a failure is logged, never swallowed (the socket may leak). */
  private closeSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws || ws.readyState >= WS_CLOSING) return;
    try {
      ws.close(code, truncateReason(reason));
    } catch (err) {
      console.error(`edgesync: closing a relayed document socket failed: ${String(err)}`);
    }
  }
}
