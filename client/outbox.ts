// What the provider sends on its own initiative over one connection: local updates merged
// within a short window, and "saved" requests (one in flight, sent a little after the updates).
import * as Y from "yjs";
import { encodeSaved, encodeSyncUpdate } from "../protocol/envelope";
import { SavedTracker } from "./saved";
import type { Clock, WebSocketLike } from "./types";

/** Local updates made within this window are merged into one message (each message is a DO event);
 * 50 ms is below what a collaborator notices and merges fast typing, pastes and bulk edits. */
export const COALESCE_WINDOW_MS = 50;
/** Delay before asking for a "saved" ack after sending updates: one ack covers a burst of typing. */
export const SAVED_ACK_DELAY_MS = 500;

export class Outbox {
  private readonly tracker = new SavedTracker();
  private ws: WebSocketLike | null = null;
  private pending: Uint8Array[] = [];
  /** Our sync step 2 went out on this connection: from then on `pending` holds every new change. */
  private step2Sent = false;
  /** The server refused a write on this connection (read-only): its saved echoes prove nothing. */
  private refused = false;
  private flushTimer: unknown = null;
  private ackTimer: unknown = null;

  constructor(
    private readonly clock: Clock,
    private readonly coalesceMs = COALESCE_WINDOW_MS,
    private readonly ackDelayMs = SAVED_ACK_DELAY_MS,
  ) {}

  /** Local changes not yet acknowledged by the server as durably stored. */
  get unsaved(): boolean {
    return this.tracker.unsaved;
  }

  /** A previous session left unacknowledged changes (the store remembers). */
  restoreUnsaved(): void {
    this.tracker.restoreUnsaved();
  }

  /** Sends on `ws` from now on (the socket is open). */
  attach(ws: WebSocketLike): void {
    this.ws = ws;
  }

  /** The connection is gone: nothing sent on it counts as sent, no echo will come. */
  detach(): void {
    this.ws = null;
    this.pending = [];
    this.step2Sent = false;
    this.refused = false;
    this.tracker.reset();
    this.clearTimers();
  }

  /** Records a local change and queues it if connected; true if it turned the state unsaved. */
  local(update: Uint8Array): boolean {
    const becameUnsaved = this.tracker.noteLocal();
    // Not connected: the next sync step 2 carries it.
    if (this.ws) {
      this.pending.push(update);
      this.flushTimer ??= this.clock.setTimeout(() => this.flush(), this.coalesceMs);
    }
    return becameUnsaved;
  }

  /** Our sync step 2 (everything the server lacks) went out: ask for an ack right away. */
  sentStep2(): void {
    this.pending = [];
    this.step2Sent = true;
    this.tracker.noteSent();
    this.requestSaved();
  }

  refuse(): void {
    this.refused = true;
  }

  /** Handles a saved echo; true if every local change is now acknowledged. */
  ack(counter: number): boolean {
    if (this.refused) return false;
    const saved = this.tracker.ack(counter);
    this.requestSavedSoon(); // changes sent after that request still need one
    return saved;
  }

  /** Sends the merged pending updates now, then asks for an ack a little later. */
  flush(): void {
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.ws || this.pending.length === 0) return;
    const merged = this.pending.length === 1 ? this.pending[0]! : Y.mergeUpdates(this.pending);
    this.pending = [];
    this.ws.send(encodeSyncUpdate(merged));
    // Before step 2 went out, changes made while connecting are not all in `pending`.
    if (this.step2Sent) this.tracker.noteSent();
    this.requestSavedSoon();
  }

  private requestSaved(): void {
    const counter = this.tracker.nextRequest();
    if (counter !== null) this.ws?.send(encodeSaved(counter));
  }

  private requestSavedSoon(): void {
    this.ackTimer ??= this.clock.setTimeout(() => {
      this.ackTimer = null;
      this.requestSaved();
    }, this.ackDelayMs);
  }

  clearTimers(): void {
    for (const timer of [this.flushTimer, this.ackTimer])
      if (timer !== null) this.clock.clearTimeout(timer);
    this.flushTimer = this.ackTimer = null;
  }
}
