// One document's live state and the sync protocol over any transport. Frames and writes pass the
// room's admission (admission.ts); every change is appended to the DO's SQLite log before it is
// broadcast; the owner hears of each stored change through `onChange`.
import * as Y from "yjs";
import { CloseCode, truncateReason } from "../protocol/close-codes";
import {
  encodePermissionDenied,
  encodeProgress,
  encodeSaved,
  encodeSyncStep1,
  encodeSyncUpdate,
  type AwarenessEntry,
  type ClientMessage,
} from "../protocol/messages";
import {
  admitFrame,
  judgeWrite,
  SOCKET_REFUSAL,
  tokenExpired,
  type CheckedUpdate,
  type Refusal,
  type WriteSource,
} from "./admission";
import { Budgets, byteLength, chargeSend } from "./budgets";
import type { RoomLimits } from "./config";
import { canWrite, type Role } from "../protocol/roles";
import type { Connection } from "./connection";
import { LoadedDoc } from "./loaded-doc";
import { Pacer } from "./pacing";
import { dropParked } from "./parked";
import { Presence } from "./presence";

export interface RoomOptions {
  /** Stores one update durably (synchronous SQLite) and returns its log sequence number. */
  append: (update: Uint8Array) => number;
  /** Bytes stored for the document (snapshot + log): an upper bound on its encoded size. */
  storedBytes: () => number;
  limits: RoomLimits;
  /** Every open connection (the DO derives them from its hibernatable sockets). */
  connections: () => Iterable<Connection>;
  /**
   * Called after each stored change with its transaction origin (a Connection, or what
   * `writeFrom` was given): the owner's `stored` event (events.ts).
   */
  onChange: (seq: number, update: Uint8Array, origin: unknown) => void;
  /** State vector of a deleted earlier incarnation: content below it is never accepted back. */
  tombstone?: Uint8Array | null;
  now?: () => number;
}

/** One frame as received, with the connection it came from. */
export interface InboundFrame {
  conn: Connection;
  data: ArrayBuffer | string;
}

export class Room extends LoadedDoc {
  readonly presence: Presence;
  private readonly now: () => number;
  private readonly budgets: Budgets;
  /** Changes appended to the log so far: a write changed the document if it grew. */
  private appended = 0;
  /**
   * Sockets greeted with our step 1 whose own first step 1 has not come yet: that one needs no
   * second step 1 of ours. In memory only: after a hibernation a socket gets one more (harmless).
   */
  private readonly greeted = new WeakSet<Connection>();
  /** Sends a large answer's parts as each socket drains them (pacing.ts). */
  private readonly pacer: Pacer;

  constructor(private readonly opts: RoomOptions) {
    super(opts.storedBytes);
    this.now = opts.now ?? Date.now;
    this.budgets = new Budgets(opts.limits, this.now);
    this.pacer = new Pacer(
      (conn, message, reply) => this.deliver(conn, message, reply),
      (conn, reason) => this.close(conn, CloseCode.RateLimited, reason),
      this.now,
      opts.limits.maxQueuedBytes,
    );
    // Every awareness message a socket is sent goes through sendAwareness (echo credit, below).
    this.presence = new Presence(this.ydoc, opts.connections, this.now, (c, m, reply) =>
      this.sendAwareness(c, m, reply),
    );
    this.ydoc.on("update", (update: Uint8Array, origin: unknown) =>
      this.onDocUpdate(update, origin),
    );
  }

  /** Greets a new socket: our state vector (sync step 1) and the current awareness states. */
  onConnect(conn: Connection): void {
    this.deliver(conn, encodeSyncStep1(this.stateVector()));
    this.greeted.add(conn);
    this.presence.connect(conn);
  }

  /**
   * Handles frames in arrival order; bad frames close only their connection and nothing is
   * applied from them. Consecutive updates from one writer are applied in one Yjs transaction,
   * so they are stored as one log row and broadcast as one message (the transaction's own
   * update, not a merge of the inputs); anything else ends the run first, so replies — and the
   * saved echo above all — still follow every write before them.
   */
  handleMessages(frames: readonly InboundFrame[]): void {
    let runConn: Connection | null = null;
    let run: RunEntry[] = [];
    for (const { conn, data } of frames) {
      if (conn.closed) continue;
      const message = admitFrame(conn, data, this.opts.limits, this.budgets, this.now());
      if (message.kind === "refused") {
        this.close(conn, message.code, message.reason);
        continue;
      }
      // A client with nothing new answers our step 1 with an empty update: nothing to apply
      // (and no reason to apply a deferred snapshot for it).
      if (message.kind === "sync-step2" && isEmptyUpdate(message.update)) {
        // Its updates before this were sent before it answered (see refuse).
        if (runConn === conn) {
          this.applyRun(conn, run);
          runConn = null;
        }
        noteAnswered(conn);
        continue;
      }
      if (
        (message.kind === "sync-update" || message.kind === "sync-step2") &&
        canWrite(conn.state.role)
      ) {
        if (runConn !== conn) {
          if (runConn) this.applyRun(runConn, run);
          runConn = conn;
          run = [];
        }
        // Decoding the frame validated the update.
        run.push({ update: message.update as CheckedUpdate, step2: message.kind === "sync-step2" });
        continue;
      }
      if (runConn) this.applyRun(runConn, run);
      runConn = null;
      if (message.kind === "stateless") this.relay(conn, data as ArrayBuffer);
      else if (message.kind !== "awareness") this.dispatch(conn, message);
      else if (this.onAwareness(conn, message.entries))
        this.budgets.refundEcho(conn, byteLength(data));
    }
    if (runConn) this.applyRun(runConn, run);
  }

  /** Applies one writer's updates in one transaction; a refusal closes it and ends the run. */
  private applyRun(conn: Connection, updates: RunEntry[]): void {
    try {
      this.doc.transact(() => {
        for (const { update, step2 } of updates) {
          if (conn.closed) return;
          const refusal = this.write(update, conn.state.role, "edit", conn);
          if (step2) noteAnswered(conn);
          if (refusal) this.refuse(conn, refusal);
        }
      }, conn);
    } finally {
      this.dropPending();
    }
  }

  /**
   * A write over HTTP: the same verdict as a socket's, applied, stored and broadcast before this
   * returns. `changed` says whether the document changed (whether anything was appended).
   */
  writeFrom(origin: unknown, update: CheckedUpdate, role: Role): Refusal | { changed: boolean } {
    const appended = this.appended;
    return this.write(update, role, "http", origin) ?? { changed: this.appended !== appended };
  }

  /**
   * Applies a write from `origin` (a connection, or a tag such as "http") if the admission
   * verdict allows it (see judgeWrite), or returns the refusal. The effective change is logged
   * and broadcast by the doc's update handler (when the enclosing transaction ends, if any).
   */
  private write(
    update: CheckedUpdate,
    role: Role,
    source: WriteSource,
    origin: unknown,
  ): Refusal | null {
    const verdict = judgeWrite(this, update, role, source, this.opts.limits);
    if (verdict === "unchanged") return null;
    if (verdict !== "apply") return verdict;
    // A client still holding a deleted incarnation would resurrect it; drop that old content.
    const tombstone = this.opts.tombstone ?? null;
    Y.applyUpdate(this.doc, tombstone ? Y.diffUpdate(update, tombstone) : update, origin);
    this.notePending(update.length);
    // What could not integrate is never kept (parked.ts); the rest of the update stays applied.
    const parked = dropParked(this.ydoc, tombstone);
    return parked ? { kind: "missing-dependencies", message: parked } : null;
  }

  /**
   * Tells a socket its write was refused: closed, or told in a message and kept open (then its
   * next saved request is not echoed: those changes were not stored).
   */
  private refuse(conn: Connection, refusal: Refusal): void {
    // Before a socket answers our step 1, its live updates may build on changes it made offline
    // (y-websocket and our SDK send edits as soon as the socket opens): its step 2, sent next,
    // carries everything our step 1 lacked, those updates included. Nothing is lost; say nothing.
    if (refusal.kind === "missing-dependencies" && !conn.state.answered) return;
    const told = SOCKET_REFUSAL[refusal.kind];
    if (told !== "permission-denied") return this.close(conn, told, refusal.message);
    this.deliver(conn, encodePermissionDenied(refusal.message));
    conn.refusedSinceSaved = true;
    // A synced socket can build on content still on its way to us (another tab's edit, shared
    // over BroadcastChannel before that tab's socket delivered it): ask again with our step 1,
    // whose answer (every client sends one) carries the dropped part with what it needed.
    if (refusal.kind === "missing-dependencies" && !conn.closed)
      this.deliver(conn, encodeSyncStep1(this.stateVector()), true);
  }

  /** Everything but awareness (onAwareness: echoes are refunded) and stateless (relay). */
  private dispatch(
    conn: Connection,
    message: Exclude<ClientMessage, { kind: "awareness" | "stateless" }>,
  ): void {
    switch (message.kind) {
      case "sync-step1": {
        this.answer(conn, message.stateVector);
        // Answered with our step 1 too, as y-protocols' and Hocuspocus's servers do: the client's
        // step 2 in return carries what only it holds (an edit a dropped update lost) and is what
        // clears a Hocuspocus provider's hasUnsyncedChanges after forceSync. The greeting asked
        // once already for the first step 1 of a socket.
        if (this.greeted.has(conn)) this.greeted.delete(conn);
        else if (!conn.closed) this.deliver(conn, encodeSyncStep1(this.stateVector()), true);
        return;
      }
      case "sync-step2":
      case "sync-update": {
        if (message.kind === "sync-step2") noteAnswered(conn);
        // A reader's (a writer's are applied in runs): refused unless it holds nothing new.
        const source = message.kind === "sync-update" ? "edit" : "state";
        const update = message.update as CheckedUpdate; // decoding the frame validated it
        const refusal = this.write(update, conn.state.role, source, conn);
        if (refusal) this.refuse(conn, refusal);
        return;
      }
      case "query-awareness": {
        const states = this.presence.encodeAllFor(conn);
        if (states) this.reply(conn, states, true);
        return;
      }
      case "saved":
        // Output gates hold this until every write before it is durable: an echo means saved.
        // Not after a refused write: those changes were not stored (permission denied said so).
        if (conn.refusedSinceSaved) conn.refusedSinceSaved = false;
        else this.deliver(conn, encodeSaved(message.counter));
        return;
    }
  }

  /**
   * Relays a stateless message (Hocuspocus clients') to every other socket: the frame itself, which
   * decoding proved to be exactly `[102, varString payload]`, so nothing is copied per flood frame.
   */
  private relay(conn: Connection, frame: ArrayBuffer): void {
    const relayed = new Uint8Array(frame);
    for (const other of this.opts.connections())
      if (other !== conn && !other.closed) this.deliver(other, relayed);
  }

  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (this.loading) return;
    // Durable first: the append is synchronous SQLite; output gates hold the broadcast until
    // it is committed, so anything a client receives is on disk.
    const seq = this.opts.append(update);
    this.appended++;
    this.noteStored(update.length);
    this.opts.onChange(seq, update, origin);
    const message = encodeSyncUpdate(update);
    for (const conn of this.opts.connections()) {
      if (conn !== origin && !conn.closed) this.deliver(conn, message);
    }
  }

  /**
   * Answers a sync step 1: one step 2, or a large one in parts (loaded-doc.ts), charged to the
   * reply budget as a whole before any is sent. A client that asked for the extensions learns
   * first how many parts and bytes will come (its progress).
   */
  private answer(conn: Connection, stateVector: Uint8Array): void {
    const { frames, updateBytes } = this.syncAnswer(stateVector);
    if (frames.length === 1) return this.reply(conn, frames[0]!);
    const bytes = frames.reduce((n, f) => n + f.length, 0);
    if (!this.budgets.chargeReply(conn, bytes)) return this.replyRefused(conn);
    if (conn.state.ext) this.deliver(conn, encodeProgress(frames.length, updateBytes), true);
    this.pacer.start(conn, frames);
  }

  /** Sends a reply the socket asked for, within its reply budget (4529 beyond it). */
  private reply(conn: Connection, message: Uint8Array, awareness = false): void {
    if (!this.budgets.chargeReply(conn, message.length)) return this.replyRefused(conn);
    if (awareness) this.sendAwareness(conn, message, true);
    else this.deliver(conn, message, true);
  }

  private replyRefused(conn: Connection): void {
    const budget = this.opts.limits.replyBudgetBytes;
    this.close(conn, CloseCode.RateLimited, `reply budget of ${budget} bytes exceeded`);
  }

  /** Sends an awareness message, counting it toward the echoes the socket may send back free. */
  private sendAwareness(conn: Connection, message: Uint8Array, reply = false): void {
    this.budgets.creditEcho(conn);
    this.deliver(conn, message, reply);
  }

  /**
   * Sends one message. `reply`: one the socket asked for (bounded by its reply budget); anything
   * else closes a socket that lets it pile up unread (4529, see chargeSend).
   */
  private deliver(conn: Connection, message: Uint8Array, reply = false): void {
    if (this.pacer.hold(conn, message, reply)) return; // after the parts still being sent
    const refused = chargeSend(conn, message.length, reply, this.opts.limits.maxQueuedBytes);
    if (refused) return this.close(conn, CloseCode.RateLimited, refused);
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
      if (tokenExpired(conn, now)) this.close(conn, CloseCode.Unauthenticated, "token expired");
      else next = next === null ? exp * 1000 : Math.min(next, exp * 1000);
    }
    return next;
  }
}

/** One update of a writer's run, and whether it was the writer's sync step 2. */
interface RunEntry {
  update: CheckedUpdate;
  step2: boolean;
}

/** Records (once, in the attachment) that a socket has answered our sync step 1. */
function noteAnswered(conn: Connection): void {
  if (conn.state.answered) return;
  conn.state.answered = true;
  conn.saveState();
}

/** True for the encoding of an update that holds no structs and no deletions. */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}
