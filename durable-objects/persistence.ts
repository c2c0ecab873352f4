// Loading, compaction and D1 replication for one document, and when the next alarm is due.
// Alarms run at least once: every step here is idempotent and leaves one consistent state.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { validateUpdate } from "../protocol/messages";
import type { RoomLimits } from "./config";
import { maybeFail } from "./faults";
import type { Room } from "./room";
import type { D1Record } from "./storage/d1-record";
import type { QuarantinedRow, SqliteLog } from "./storage/sqlite-log";

/** Thrown by `load` with `create: false` when the document does not exist anywhere. */
export class DocumentNotFoundError extends Error {
  override name = "DocumentNotFoundError";
}

/** How far past its thresholds the log may grow before a message compacts it directly. */
export const COMPACT_BACKSTOP_FACTOR = 4;

export interface LoadReport {
  source: "storage" | "d1" | "new";
  quarantined: QuarantinedRow[];
  ms: number;
  /** The snapshot was left to be applied when first needed (see Room.loadFrom). */
  deferred: boolean;
}

export interface FlushState {
  /** The D1 snapshot generation last written (0 before the first flush). */
  generation: number;
  /** Last log sequence replicated to D1. */
  flushedSeq: number;
  /** Consecutive failed flushes (drives backoff); 0 when healthy. */
  failures: number;
  lastError: string | null;
}

export class Persistence {
  /** When the first change not yet in D1 was made, and the latest change (memory only). */
  private firstUnflushedAt: number | null = null;
  private lastChangeAt = 0;
  private retryAt: number | null = null;
  lastFlushError: string | null = null;

  constructor(
    readonly log: SqliteLog,
    private readonly d1: D1Record,
    private readonly limits: RoomLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get docId(): string | null {
    const id = this.log.getMeta("doc_id");
    return typeof id === "string" ? id : null;
  }

  get epoch(): string {
    return String(this.log.getMeta("epoch") ?? "");
  }

  /**
   * Fills `room` from DO storage, else from D1, else starts a new document. Throws if
   * storage or D1 fails; then nothing has been written and the caller must refuse service.
   */
  async load(room: Room, docId: string, create = true): Promise<LoadReport> {
    const started = this.now();
    maybeFail(docId, "load");
    if (!this.log.isEmpty()) {
      const { snapshot, log, snapshotStateVector, quarantined } = this.log.load(validateUpdate);
      for (const row of quarantined) {
        console.error(`edgesync: quarantined corrupt row ${row.source} of ${docId}: ${row.reason}`);
      }
      room.loadFrom(snapshot, log, snapshotStateVector);
      if (this.log.getMeta("doc_id") === undefined) this.log.setMeta("doc_id", docId);
      if (this.log.lastSeq > this.log.getMetaNumber("d1_flushed_seq")) this.firstUnflushedAt = this.now();
      return { source: "storage", quarantined, ms: this.now() - started, deferred: room.snapshotPending };
    }
    const record = await this.d1.get(docId);
    if (record) {
      const snapshot = await this.d1.loadSnapshot(record);
      validateUpdate(snapshot);
      room.loadFrom(snapshot, []);
      // Only now, with everything read, does hydration write: D1's state becomes ours.
      this.log.compact(snapshot, record.flushedSeq, Y.encodeStateVector(room.doc));
      this.log.setMeta("doc_id", docId);
      this.log.setMeta("epoch", record.epoch);
      this.log.setMeta("created_at", record.createdAt);
      this.log.setMeta("updated_at", record.updatedAt);
      this.log.setMeta("d1_generation", record.generation);
      this.log.setMeta("d1_flushed_seq", record.flushedSeq);
      this.log.load(validateUpdate); // re-reads sequence numbers
      return { source: "d1", quarantined: [], ms: this.now() - started, deferred: false };
    }
    if (!create) throw new DocumentNotFoundError(`document ${docId} does not exist`);
    this.log.setMeta("doc_id", docId);
    this.log.setMeta("epoch", crypto.randomUUID());
    this.log.setMeta("created_at", this.now());
    return { source: "new", quarantined: [], ms: this.now() - started, deferred: false };
  }

  /** Records a stored change (called on the hot path: memory only). */
  noteChange(): void {
    const now = this.now();
    this.lastChangeAt = now;
    this.firstUnflushedAt ??= now;
  }

  private compactionDue(): boolean {
    return this.log.logRows >= this.limits.compactLogRows || this.log.logBytes >= this.limits.compactLogBytes;
  }

  /** When D1 replication is due: debounced after the last change, bounded by the max delay. */
  private flushDueAt(): number | null {
    if (this.firstUnflushedAt === null) return null;
    if (this.retryAt !== null) return this.retryAt;
    return Math.min(this.lastChangeAt + this.limits.flushDebounceMs, this.firstUnflushedAt + this.limits.flushMaxDelayMs);
  }

  /** When the next alarm should run for persistence work, or null if nothing is pending. */
  dueAt(): number | null {
    return this.compactionDue() ? this.now() : this.flushDueAt();
  }

  /** Runs whatever is due: compaction, then D1 replication of the same snapshot. */
  async run(room: Room, force: { compact?: boolean; flush?: boolean } = {}): Promise<void> {
    const now = this.now();
    const flushDue = force.flush || (this.flushDueAt() ?? Infinity) <= now;
    // Flushing compacts too, so the DO's snapshot and D1's generation hold the same bytes.
    const compactDue = force.compact || this.compactionDue() || (flushDue && this.log.logRows > 0);
    if (!compactDue && !flushDue) return;
    const snapshot = Y.encodeStateAsUpdate(room.doc);
    const seq = this.log.lastSeq;
    if (compactDue) this.compact(room, snapshot, seq);
    if (flushDue) await this.flush(snapshot, seq);
  }

  /**
   * Backstop for the alarm: compacts right away when the log has grown to
   * COMPACT_BACKSTOP_FACTOR × its thresholds. Measured under `wrangler dev`: a sustained flood
   * of WebSocket messages kept the compaction alarm from running for the whole 195 s replay
   * (one compaction for 259,778 rows), so the log was unbounded while the flood lasted.
   * Synchronous: the snapshot and the deletes commit with the message that triggered them.
   */
  compactIfOverdue(room: Room): void {
    const { compactLogRows, compactLogBytes } = this.limits;
    if (this.log.logRows < compactLogRows * COMPACT_BACKSTOP_FACTOR && this.log.logBytes < compactLogBytes * COMPACT_BACKSTOP_FACTOR) {
      return;
    }
    try {
      this.compact(room, Y.encodeStateAsUpdate(room.doc), this.log.lastSeq);
    } catch (err) {
      // The transaction rolled back; the alarm (or the next message) tries again.
      console.error(`edgesync: backstop compaction of ${this.docId} failed: ${(err as Error).message}`);
    }
  }

  /** Replaces the snapshot and drops covered log rows in one transaction. */
  compact(room: Room, snapshot: Uint8Array, seq: number): void {
    const docId = this.docId;
    const logBytes = this.log.logBytes;
    // The state vector of `snapshot`: callers encode both from the document in one synchronous step.
    this.log.compact(snapshot, seq, Y.encodeStateVector(room.doc), () => {
      // Write accounting, in the same transaction (for operators and the cost figures).
      this.bump("log_bytes_total", logBytes);
      this.bump("compactions", 1);
      this.bump("snapshot_bytes_total", snapshot.length);
      maybeFail(docId, "compact-before-commit");
    });
    this.log.setMeta("updated_at", this.lastChangeAt || this.now());
    room.noteSnapshot(snapshot.length);
  }

  /** A D1 flush in progress, so deletion can wait for it before removing D1 rows. */
  inflight: Promise<void> | null = null;

  /** Writes `snapshot` (covering `seq`) to D1 as the next generation; backs off on failure. */
  flush(snapshot: Uint8Array, seq: number): Promise<void> {
    this.inflight = this.doFlush(snapshot, seq).finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async doFlush(snapshot: Uint8Array, seq: number): Promise<void> {
    const docId = this.docId;
    if (docId === null) return;
    const generation = this.log.getMetaNumber("d1_generation") + 1;
    const flushedAt = this.now();
    try {
      maybeFail(docId, "d1-flush");
      await this.d1.flush(
        {
          id: docId,
          epoch: this.epoch,
          generation,
          encodedSize: snapshot.length,
          updateCount: seq,
          flushedSeq: seq,
          createdAt: this.log.getMetaNumber("created_at", flushedAt),
          updatedAt: this.lastChangeAt || this.log.getMetaNumber("updated_at", flushedAt),
          flushedAt,
        },
        snapshot,
      );
    } catch (err) {
      const failures = this.log.getMetaNumber("d1_failures") + 1;
      this.log.setMeta("d1_failures", failures);
      const delay = Math.min(this.limits.flushRetryBaseMs * 2 ** (failures - 1), this.limits.flushRetryMaxMs);
      this.retryAt = this.now() + delay;
      this.lastFlushError = (err as Error).message;
      console.error(`edgesync: D1 flush of ${docId} failed (attempt ${failures}, retry in ${delay} ms): ${this.lastFlushError}`);
      return;
    }
    this.log.setMeta("d1_generation", generation);
    this.bump("d1_flushes", 1);
    this.bump("d1_bytes_total", snapshot.length);
    this.log.setMeta("d1_flushed_seq", seq);
    this.log.setMeta("d1_failures", 0);
    this.retryAt = null;
    this.lastFlushError = null;
    this.firstUnflushedAt = this.log.lastSeq > seq ? this.lastChangeAt : null;
  }

  /**
   * Deletes the document everywhere. Keeps only a tombstone — the deleted document's state
   * vector — so that stale clients' old content is not accepted back (see Room.applyUpdate).
   */
  async destroy(stateVector: Uint8Array): Promise<void> {
    const docId = this.docId;
    await this.inflight?.catch(() => undefined);
    const tombstone = mergeStateVectors(this.tombstone(), stateVector);
    // D1 first: if it fails, nothing is wiped and the caller can retry. The other order
    // would let a later load hydrate the deleted document back from D1.
    if (docId !== null) await this.d1.delete(docId);
    this.log.wipe();
    this.log.setMeta("tombstone_sv", tombstone);
    this.firstUnflushedAt = null;
    this.retryAt = null;
  }

  /** The state vector of deleted incarnations of this id, or null. */
  tombstone(): Uint8Array | null {
    return this.log.getMetaBytes("tombstone_sv");
  }

  private bump(key: "log_bytes_total" | "compactions" | "snapshot_bytes_total" | "d1_flushes" | "d1_bytes_total", by: number): void {
    this.log.setMeta(key, this.log.getMetaNumber(key) + by);
  }

  /** Cumulative write accounting (log bytes are counted when compacted). */
  writeTotals(): Record<string, number> {
    const keys = ["log_bytes_total", "compactions", "snapshot_bytes_total", "d1_flushes", "d1_bytes_total"] as const;
    return Object.fromEntries(keys.map((k) => [k, this.log.getMetaNumber(k)]));
  }

  flushState(): FlushState {
    return {
      generation: this.log.getMetaNumber("d1_generation"),
      flushedSeq: this.log.getMetaNumber("d1_flushed_seq"),
      failures: this.log.getMetaNumber("d1_failures"),
      lastError: this.lastFlushError,
    };
  }
}

function mergeStateVectors(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (!a) return b;
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b)) merged.set(client, Math.max(clock, merged.get(client) ?? 0));
  return encodeStateVectorMap(merged);
}

function encodeStateVectorMap(sv: Map<number, number>): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, sv.size);
  for (const [client, clock] of sv) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
  }
  return encoding.toUint8Array(encoder);
}
