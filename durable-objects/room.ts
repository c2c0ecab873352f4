// One document's live state: the Y.Doc, awareness, and the sync protocol over any transport.
// Every change is appended to the DO's SQLite log before it is broadcast; compaction and D1
// replication are scheduled by the owner (see persistence.ts) through `onChange`.
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import {
  decodeClientMessage,
  encodePermissionDenied,
  encodeSaved,
  encodeStateless,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  MessageType,
  ProtocolError,
  type AwarenessEntry,
  type ClientMessage,
} from "../protocol/messages";
import { Budgets, byteLength } from "./budgets";
import type { RoomLimits } from "./config";
import { canWrite, type Connection } from "./connection";
import { addsNothing, structLimitRefusal } from "./doc-items";
import { Presence } from "./presence";
import type { SqliteLog } from "./storage/sqlite-log";

export interface RoomOptions {
  log: SqliteLog;
  limits: RoomLimits;
  /** Every open connection (the DO derives them from its hibernatable sockets). */
  connections: () => Iterable<Connection>;
  /** Called after each stored change (drives compaction and replication scheduling). */
  onChange: (seq: number, bytes: number) => void;
  /** State vector of a deleted earlier incarnation: content below it is never accepted back. */
  tombstone?: Uint8Array | null;
  now?: () => number;
}

/** Thrown by `applyUpdate` when an update would push the document over its size limit. */
export class DocumentTooLargeError extends Error {
  override name = "DocumentTooLargeError";
}

/** One frame as received, with the connection it came from. */
export interface InboundFrame {
  conn: Connection;
  data: ArrayBuffer | string;
}

export class Room {
  private readonly ydoc = new Y.Doc({ gc: true });
  readonly presence: Presence;
  /** Upper bound on the encoded document size (snapshot + log bytes), refined on demand. */
  private sizeEstimate = 0;
  private readonly now: () => number;
  private readonly budgets: Budgets;

  constructor(private readonly opts: RoomOptions) {
    this.now = opts.now ?? Date.now;
    this.budgets = new Budgets(opts.limits, this.now);
    // Every awareness message a socket is sent goes through sendAwareness (echo credit, below).
    this.presence = new Presence(this.ydoc, opts.connections, this.now, (c, m) =>
      this.sendAwareness(c, m),
    );
    this.ydoc.on("update", (update: Uint8Array, origin: unknown) =>
      this.onDocUpdate(update, origin),
    );
    // Any transaction may change the encoded state (even one that only parks pending structs).
    this.ydoc.on("afterTransaction", () => (this.fullState = null));
  }

  /** The live document; a snapshot whose application was deferred (see loadFrom) is applied first. */
  get doc(): Y.Doc {
    if (this.deferred) this.integrate();
    return this.ydoc;
  }

  /**
   * A loaded snapshot not yet applied to the document, with its stored state vector. Applying a
   * large snapshot is most of a cold load (≈50 ms for 220 KB in a fresh isolate), and a fresh
   * client needs neither: sync step 1 is the stored state vector and the answer to an empty
   * state vector is the snapshot itself. Anything else that reads or changes the document goes
   * through `doc`, which applies it then.
   */
  private deferred: { snapshot: Uint8Array; stateVector: Uint8Array } | null = null;

  /** True while a loaded snapshot waits to be applied (see `deferred`). */
  get snapshotPending(): boolean {
    return this.deferred !== null;
  }

  /**
   * The whole document encoded as one update, kept while no transaction has run since: a fresh
   * client (empty state vector) gets these bytes instead of a new encoding, and right after a
   * load they are the stored snapshot itself.
   */
  private fullState: Uint8Array | null = null;

  /**
   * Builds the document from a snapshot and log entries without writing anything back. With
   * the snapshot's state vector and no log entries, applying the snapshot is deferred until
   * the document is first needed (see `deferred`).
   */
  loadFrom(
    snapshot: Uint8Array | null,
    log: { data: Uint8Array }[],
    snapshotStateVector: Uint8Array | null = null,
  ): void {
    this.sizeEstimate = (snapshot?.length ?? 0) + log.reduce((n, e) => n + e.data.length, 0);
    if (snapshot && log.length === 0 && snapshotStateVector) {
      this.deferred = { snapshot, stateVector: snapshotStateVector };
      this.fullState = snapshot;
      return;
    }
    this.apply(snapshot, log);
    if (snapshot && log.length === 0) this.fullState = snapshot;
  }

  /** Applies a deferred snapshot now (a no-op when there is none). */
  private integrate(): void {
    const pending = this.deferred;
    if (!pending) return;
    this.deferred = null;
    this.apply(pending.snapshot, []);
    this.fullState = pending.snapshot;
  }

  private apply(snapshot: Uint8Array | null, log: { data: Uint8Array }[]): void {
    this.loading = true;
    try {
      this.ydoc.transact(() => {
        if (snapshot) Y.applyUpdate(this.ydoc, snapshot);
        for (const entry of log) Y.applyUpdate(this.ydoc, entry.data);
      });
    } finally {
      this.loading = false;
    }
  }
  private loading = false;

  /** The exact encoded size of the document (encodes it; use sparingly). */
  encodedSize(): number {
    const size = Y.encodeStateAsUpdate(this.doc).length;
    this.sizeEstimate = size;
    this.pendingBytes = 0; // the exact size includes an open transaction's changes
    return size;
  }

  /** Resets the size estimate after a compaction wrote an exact snapshot. */
  noteSnapshot(bytes: number): void {
    this.sizeEstimate = bytes;
  }

  /** Greets a new socket: our state vector (sync step 1) and the current awareness states. */
  onConnect(conn: Connection): void {
    conn.send(
      encodeSyncStep1(this.deferred ? this.deferred.stateVector : Y.encodeStateVector(this.ydoc)),
    );
    this.presence.connect(conn);
  }

  /** Handles one frame. Bad frames close only this connection; nothing is applied from them. */
  handleMessage(conn: Connection, data: ArrayBuffer | string): void {
    this.handleMessages([{ conn, data }]);
  }

  /**
   * Handles frames in arrival order. Consecutive updates from one connection are applied in
   * one Yjs transaction, so they are stored as one log row and broadcast as one message (the
   * transaction's own update, not a merge of the inputs); anything else ends the run first, so
   * replies — and the saved echo above all — still follow every write before them.
   */
  handleMessages(frames: readonly InboundFrame[]): void {
    let runConn: Connection | null = null;
    let run: Uint8Array[] = [];
    for (const { conn, data } of frames) {
      const message = this.admit(conn, data);
      if (!message) continue;
      // A client with nothing new answers our step 1 with an empty update: nothing to apply
      // (and no reason to apply a deferred snapshot for it).
      if (message.kind === "sync-step2" && isEmptyUpdate(message.update)) continue;
      if (
        (message.kind === "sync-update" || message.kind === "sync-step2") &&
        canWrite(conn.state.role)
      ) {
        if (runConn !== conn) {
          if (runConn) this.applyRun(runConn, run);
          runConn = conn;
          run = [];
        }
        run.push(message.update);
        continue;
      }
      if (runConn) this.applyRun(runConn, run);
      runConn = null;
      if (message.kind !== "awareness") this.dispatch(conn, message);
      else if (this.onAwareness(conn, message.entries))
        this.budgets.refundEcho(conn, byteLength(data));
    }
    if (runConn) this.applyRun(runConn, run);
  }

  /** Checks size, rate, expiry and encoding; closes the connection and returns null on failure. */
  private admit(conn: Connection, data: ArrayBuffer | string): ClientMessage | null {
    if (conn.closed) return null;
    const bytes = byteLength(data);
    if (bytes > this.opts.limits.maxMessageBytes) {
      this.close(
        conn,
        CloseCode.MessageTooBig,
        `message of ${bytes} bytes exceeds ${this.opts.limits.maxMessageBytes}`,
      );
      return null;
    }
    const refusal = this.budgets.admit(conn, bytes);
    if (refusal) {
      this.close(conn, CloseCode.RateLimited, refusal);
      return null;
    }
    const { exp } = conn.state;
    if (exp !== null && this.now() >= exp * 1000) {
      this.close(conn, CloseCode.Unauthenticated, "token expired");
      return null;
    }
    if (typeof data === "string") {
      // "ping" is answered by the runtime's auto-response and never reaches us.
      this.close(
        conn,
        CloseCode.ProtocolError,
        "text frames other than ping are not part of the protocol",
      );
      return null;
    }
    const frame = new Uint8Array(data);
    const { maxAwarenessBytes } = this.opts.limits;
    // Refused before its states are parsed (the type is the frame's first varint, one byte here).
    if (bytes > maxAwarenessBytes && frame[0] === MessageType.Awareness) {
      this.close(
        conn,
        CloseCode.MessageTooBig,
        `awareness message of ${bytes} bytes exceeds ${maxAwarenessBytes}`,
      );
      return null;
    }
    try {
      return decodeClientMessage(frame);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.close(conn, CloseCode.ProtocolError, err.message);
        return null;
      }
      throw err;
    }
  }

  /** Applies validated updates from one writer in one transaction; 4413 stops the run. */
  private applyRun(conn: Connection, updates: Uint8Array[]): void {
    try {
      this.doc.transact(() => {
        for (const update of updates) {
          if (conn.closed) return;
          try {
            this.applyUpdate(update, conn);
          } catch (err) {
            if (!(err instanceof DocumentTooLargeError)) throw err;
            this.close(conn, CloseCode.DocumentTooLarge, err.message);
          }
        }
      }, conn);
    } finally {
      this.pendingBytes = 0;
    }
  }

  /** Everything but awareness, which handleMessages routes to onAwareness (echoes are refunded). */
  private dispatch(conn: Connection, message: Exclude<ClientMessage, { kind: "awareness" }>): void {
    switch (message.kind) {
      case "sync-step1": {
        let reply: Uint8Array;
        if (isEmptyStateVector(message.stateVector))
          reply = this.fullState ??= Y.encodeStateAsUpdate(this.doc);
        else if (this.deferred) reply = Y.diffUpdate(this.deferred.snapshot, message.stateVector);
        else reply = Y.encodeStateAsUpdate(this.doc, message.stateVector);
        return this.reply(conn, encodeSyncStep2(reply));
      }
      case "sync-step2":
      case "sync-update":
        if (!canWrite(conn.state.role)) {
          // Stock clients answer our step 1 with a step 2 even when read-only; only refuse
          // (and say so) when it holds something the document does not. The check scans the
          // document, so it runs for step 2 (once per connection), not for every update.
          if (
            message.kind === "sync-update" ||
            !Y.snapshotContainsUpdate(Y.snapshot(this.doc), message.update)
          ) {
            conn.send(encodePermissionDenied("read-only connection: update not applied"));
            conn.refusedSinceSaved = true;
          }
          return;
        }
        return this.applyRun(conn, [message.update]);
      case "query-awareness": {
        const states = this.presence.encodeAllFor(conn);
        if (states) this.reply(conn, states, true);
        return;
      }
      case "stateless":
        // Relayed as received to every other socket (Hocuspocus clients' stateless messages).
        for (const other of this.opts.connections())
          if (other !== conn && !other.closed) other.send(encodeStateless(message.payload));
        return;
      case "saved":
        // Output gates hold this until every write before it is durable: an echo means saved.
        // Not after a refused write: those changes were not stored (permission denied said so).
        if (conn.refusedSinceSaved) conn.refusedSinceSaved = false;
        else conn.send(encodeSaved(message.counter));
        return;
    }
  }

  /**
   * Applies a validated update from `origin` (a connection, or another source such as HTTP).
   * The effective change is logged and broadcast by the doc's update handler (at the end of
   * the enclosing transaction, when called inside one).
   * @throws DocumentTooLargeError when the update would exceed the byte or struct limit (nothing
   *   applied). Only growth is checked: a stored document over a lowered limit still loads.
   */
  applyUpdate(update: Uint8Array, origin: unknown): void {
    const max = this.opts.limits.maxDocBytes;
    // The estimate only grows, so the exact (costly) size is computed only near the limit.
    const over =
      this.sizeEstimate + this.pendingBytes + update.length > max &&
      this.encodedSize() + update.length > max;
    if (over && !addsNothing(this.doc, update)) {
      throw new DocumentTooLargeError(
        `update of ${update.length} bytes would push the document over its ${max}-byte limit`,
      );
    }
    const refusal = structLimitRefusal(this.doc, update, this.opts.limits.maxDocItems);
    if (refusal) throw new DocumentTooLargeError(refusal);
    // A client still holding a deleted incarnation would resurrect it; drop that old content.
    const tombstone = this.opts.tombstone;
    Y.applyUpdate(this.doc, tombstone ? Y.diffUpdate(update, tombstone) : update, origin);
    // Counted until the transaction ends and its update event adds the stored size.
    if (this.doc._transaction) this.pendingBytes += update.length;
  }
  /** Bytes applied in the open transaction and not yet counted in sizeEstimate. */
  private pendingBytes = 0;

  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (this.loading) return;
    // Durable first: the append is synchronous SQLite; output gates hold the broadcast until
    // it is committed, so anything a client receives is on disk.
    const seq = this.opts.log.append(update);
    this.sizeEstimate += update.length;
    this.pendingBytes = 0;
    this.opts.onChange(seq, update.length);
    const message = encodeSyncUpdate(update);
    for (const conn of this.opts.connections()) {
      if (conn !== origin && !conn.closed) conn.send(message);
    }
  }

  /** Sends a reply the socket asked for, within its reply budget (4529 beyond it). */
  private reply(conn: Connection, message: Uint8Array, awareness = false): void {
    if (!this.budgets.chargeReply(conn, message.length)) {
      return this.close(
        conn,
        CloseCode.RateLimited,
        `reply budget of ${this.opts.limits.replyBudgetBytes} bytes exceeded`,
      );
    }
    if (awareness) this.sendAwareness(conn, message);
    else conn.send(message);
  }

  /** Sends an awareness message, counting it toward the echoes the socket may send back free. */
  private sendAwareness(conn: Connection, message: Uint8Array): void {
    this.budgets.creditEcho(conn);
    conn.send(message);
  }

  /** Applies an awareness update; returns true when it changed nothing (an echo). */
  private onAwareness(conn: Connection, entries: AwarenessEntry[]): boolean {
    const verdict = this.presence.receive(conn, entries, this.opts.limits.maxAwarenessIdsPerSocket);
    if (!verdict.ok) {
      this.close(conn, CloseCode.Forbidden, verdict.reason);
      return false;
    }
    return !verdict.changed;
  }

  /** Forgets a socket that closed: its awareness ids are removed and the others told. */
  onClose(conn: Connection): void {
    conn.closed = true;
    this.presence.disconnect(conn);
  }

  /** Closes one connection with a documented code; the others carry on. */
  close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    conn.close(code, truncateReason(reason));
    this.onClose(conn);
  }

  /** Closes sockets whose token has expired; returns the earliest expiry still ahead, if any. */
  expireTokens(): number | null {
    let next: number | null = null;
    const now = this.now();
    for (const conn of this.opts.connections()) {
      const { exp } = conn.state;
      if (exp === null || conn.closed) continue;
      if (now >= exp * 1000) this.close(conn, CloseCode.Unauthenticated, "token expired");
      else next = next === null ? exp * 1000 : Math.min(next, exp * 1000);
    }
    return next;
  }
}

function truncateReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).length <= 123) return reason;
  let cut = reason.slice(0, 120);
  while (encoder.encode(cut + "…").length > 123) cut = cut.slice(0, -1);
  return cut + "…";
}

/** True for the encoding of an update that holds no structs and no deletions. */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

/** True for the state vector of an empty document (a client that has nothing yet). */
function isEmptyStateVector(sv: Uint8Array): boolean {
  return sv.length === 0 || (sv.length === 1 && sv[0] === 0);
}
