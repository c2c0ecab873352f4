// When one document's persistence work is due: compaction (thresholds, and a backstop on the
// message path) and D1 replication (debounce, max delay, backoff after a failure). What the
// work writes belongs to the store and the replica; this module keeps only the schedule, on
// an injected clock. Alarms run at least once: every step is idempotent.
import * as Y from "yjs";
import type { RoomLimits } from "./config";
import { DocumentEvents } from "./events";
import { maybeFail } from "./faults";
import type { FlushState } from "./contract";
import type { Replica, ReplicaCopy } from "./backends";
import type { DocumentStore } from "./storage/document-store";

/** How far past its thresholds the log may grow before a message compacts it directly. */
export const COMPACT_BACKSTOP_FACTOR = 4;

/** The thresholds and delays the schedule follows (see config.ts for each). */
export type ScheduleLimits = Pick<
  RoomLimits,
  | "compactLogRows"
  | "compactLogBytes"
  | "flushDebounceMs"
  | "flushMaxDelayMs"
  | "flushRetryBaseMs"
  | "flushRetryMaxMs"
>;

export class Persistence {
  /** When the first change not yet in D1 was made, and the latest change (memory only). */
  private firstUnflushedAt: number | null = null;
  private lastChangeAt = 0;
  private retryAt: number | null = null;
  private lastFlushError: string | null = null;
  /** A D1 flush in progress, so deletion can wait for it before removing D1 rows. */
  private inflight: Promise<void> | null = null;
  /** Set while the document is being deleted: no compaction or flush starts (see whileDeleting). */
  private deleting = false;

  constructor(
    private readonly store: DocumentStore,
    private readonly replica: Replica,
    private readonly limits: ScheduleLimits,
    private readonly now: () => number = Date.now,
    /** Where compactions and replications are announced (events.ts). */
    private readonly events: DocumentEvents = new DocumentEvents(),
  ) {}

  /** After a load: stored changes that D1 does not have yet are due (debounced from now). */
  resume(): void {
    if (this.store.size().lastSeq > this.store.replication().flushedSeq)
      this.firstUnflushedAt = this.now();
  }

  /** Records a stored change (called on the hot path: memory only). */
  noteChange(): void {
    const now = this.now();
    this.lastChangeAt = now;
    this.firstUnflushedAt ??= now;
  }

  private compactionDue(factor = 1): boolean {
    const { logRows, logBytes } = this.store.size();
    return (
      logRows >= this.limits.compactLogRows * factor ||
      logBytes >= this.limits.compactLogBytes * factor
    );
  }

  /** When D1 replication is due: debounced after the last change, bounded by the max delay. */
  private flushDueAt(): number | null {
    if (this.firstUnflushedAt === null) return null;
    if (this.retryAt !== null) return this.retryAt;
    return Math.min(
      this.lastChangeAt + this.limits.flushDebounceMs,
      this.firstUnflushedAt + this.limits.flushMaxDelayMs,
    );
  }

  /** When the next alarm should run for persistence work, or null if nothing is pending. */
  dueAt(): number | null {
    // During a delete nothing runs; should the delete fail, the work is retried after it.
    if (this.deleting) return this.now() + this.limits.flushRetryBaseMs;
    return this.compactionDue() ? this.now() : this.flushDueAt();
  }

  /** Runs whatever is due: compaction, then D1 replication of the same snapshot. */
  async run(
    source: { readonly doc: Y.Doc },
    force: { compact?: boolean; flush?: boolean } = {},
  ): Promise<void> {
    if (this.deleting) return;
    const now = this.now();
    const flushDue = force.flush || (this.flushDueAt() ?? Infinity) <= now;
    // Flushing compacts too, so the DO's snapshot and D1's generation hold the same bytes.
    const compactDue =
      force.compact || this.compactionDue() || (flushDue && this.store.size().logRows > 0);
    if (!compactDue && !flushDue) return;
    const snapshot = Y.encodeStateAsUpdate(source.doc);
    const stateVector = Y.encodeStateVector(source.doc);
    const seq = this.store.size().lastSeq;
    if (compactDue) this.compact(snapshot, seq, stateVector);
    if (flushDue) await this.flush(snapshot, seq, stateVector);
  }

  /**
   * Backstop for the alarm: compacts right away when the log has grown to
   * COMPACT_BACKSTOP_FACTOR × its thresholds. Measured under `wrangler dev`: a sustained flood
   * of WebSocket messages kept the compaction alarm from running for the whole 195 s replay
   * (one compaction for 259,778 rows), so the log was unbounded while the flood lasted.
   * Synchronous: the snapshot and the deletes commit with the message that triggered them.
   */
  compactIfOverdue(source: { readonly doc: Y.Doc }): void {
    if (!this.compactionDue(COMPACT_BACKSTOP_FACTOR)) return;
    try {
      const doc = source.doc;
      const snapshot = Y.encodeStateAsUpdate(doc);
      this.compact(snapshot, this.store.size().lastSeq, Y.encodeStateVector(doc), true);
    } catch (err) {
      // The transaction rolled back; the alarm (or the next message) tries again.
      const docId = this.store.identity().docId;
      console.error(`edgesync: backstop compaction of ${docId} failed: ${(err as Error).message}`);
    }
  }

  /** Replaces the snapshot and drops covered log rows in one transaction (see DocumentStore). */
  private compact(
    snapshot: Uint8Array,
    seq: number,
    stateVector: Uint8Array,
    backstop = false,
  ): void {
    const docId = this.store.identity().docId;
    // `stateVector` is the snapshot's: callers encode both from the document in one synchronous step.
    this.store.compact(snapshot, stateVector, {
      throughSeq: seq,
      updatedAt: this.lastChangeAt || this.now(),
      beforeCommit: () => maybeFail(docId, "compact-before-commit"),
    });
    const snapshotBytes = snapshot.length;
    this.events.emit("compacted", { throughSeq: seq, snapshotBytes, backstop, snapshot });
  }

  /** Replicates `snapshot` (covering `seq`); on failure, backs off exponentially up to a cap. */
  private flush(snapshot: Uint8Array, seq: number, stateVector: Uint8Array): Promise<void> {
    this.inflight = this.replicate({
      snapshot,
      stateVector,
      seq,
      updatedAt: this.lastChangeAt || null,
      flushedAt: this.now(),
    }).finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async replicate(copy: ReplicaCopy): Promise<void> {
    let generation: number | null;
    try {
      generation = await this.replica.replicate(copy);
    } catch (err) {
      const { failures } = this.store.recordFlush(null);
      const delay = Math.min(
        this.limits.flushRetryBaseMs * 2 ** (failures - 1),
        this.limits.flushRetryMaxMs,
      );
      this.retryAt = this.now() + delay;
      this.lastFlushError = (err as Error).message;
      console.error(
        `edgesync: D1 flush of ${this.store.identity().docId} failed (attempt ${failures}, retry in ${delay} ms): ${this.lastFlushError}`,
      );
      const error = this.lastFlushError;
      this.events.emit("replicated", { ok: false, error, failures, retryAt: this.retryAt });
      return;
    }
    if (generation === null) return;
    const written = { generation, flushedSeq: copy.seq, bytes: copy.snapshot.length };
    this.store.recordFlush(written);
    this.events.emit("replicated", { ok: true, ...written });
    this.retryAt = null;
    this.lastFlushError = null;
    this.firstUnflushedAt = this.store.size().lastSeq > copy.seq ? this.lastChangeAt : null;
  }

  /**
   * Runs `remove` (the document's deletion) once no flush is in flight, and starts none until it
   * is over. A flush reads D1's current generation, then writes the next: one that started while
   * the delete removed D1's rows wrote them back after, and the next load hydrated the deleted
   * document from D1 (and its record of the flush landed in wiped storage).
   */
  async whileDeleting<T>(remove: () => Promise<T>): Promise<T> {
    this.deleting = true;
    try {
      await this.idle();
      return await remove();
    } finally {
      this.deleting = false;
    }
  }

  /** Waits for a flush in progress (its outcome does not matter to the caller). */
  async idle(): Promise<void> {
    await this.inflight?.catch(() => undefined);
  }

  /** Forgets pending work: the document was deleted. */
  reset(): void {
    this.firstUnflushedAt = null;
    this.retryAt = null;
  }

  /** Since when D1 lacks a stored change (memory only: after a load, since the load), or null. */
  unflushedSince(): number | null {
    return this.firstUnflushedAt;
  }

  flushState(): FlushState {
    return { ...this.store.replication(), lastError: this.lastFlushError };
  }
}
