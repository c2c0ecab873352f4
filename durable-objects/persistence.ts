// Loading, compaction and D1 replication for one document, and when the next alarm is due.
// Alarms run at least once: every step here is idempotent and leaves one consistent state.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { validateUpdate } from "../protocol/messages";
import type { RoomLimits } from "./config";
import { maybeFail } from "./faults";
import type { Room } from "./room";
import type { D1Record } from "./storage/d1-record";
import type { LoadedState, QuarantinedRow, SqliteLog } from "./storage/sqlite-log";

/** Thrown by `load` in "existing" mode when the document does not exist anywhere. */
export class DocumentNotFoundError extends Error {
  override name = "DocumentNotFoundError";
}

/**
 * Thrown by `load` when stored state is damaged and no intact copy of it can be reached: the
 * document is refused (503 / 4503) and the damaged rows stay where they are for an operator.
 */
export class DocumentDamagedError extends Error {
  override name = "DocumentDamagedError";
}

/**
 * What a load may do when the document does not exist: "create" it (a writer), serve an empty
 * "view" that writes nothing (a reader; the first writer creates it), or refuse ("existing").
 */
export type LoadMode = "create" | "view" | "existing";

/** How far past its thresholds the log may grow before a message compacts it directly. */
export const COMPACT_BACKSTOP_FACTOR = 4;

export interface LoadReport {
  source: "storage" | "d1" | "new";
  /** Damaged rows found by this load and moved to the quarantine table. */
  quarantined: QuarantinedRow[];
  /**
   * Set when the snapshot was damaged and the document was rebuilt from D1's generation plus
   * the intact log; `lostSeqs` are the updates only the damaged snapshot held (clients that
   * still have them send them back on their next sync).
   */
  recovered: { from: "d1"; generation: number; lostSeqs: [number, number] | null } | null;
  /** The document does not exist yet and was opened as an empty view; nothing was written. */
  provisional: boolean;
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
   * Fills `room` from DO storage, else from D1, else starts a new document (see LoadMode).
   * Throws if storage or D1 fails, or if damaged state has no intact copy; then nothing has been
   * written and the caller must refuse service.
   */
  async load(room: Room, docId: string, mode: LoadMode = "create"): Promise<LoadReport> {
    const started = this.now();
    const report = (source: LoadReport["source"], more: Partial<LoadReport> = {}): LoadReport => ({
      source,
      quarantined: [],
      recovered: null,
      provisional: false,
      ms: this.now() - started,
      deferred: room.snapshotPending,
      ...more,
    });
    maybeFail(docId, "load");
    if (!this.log.isEmpty()) {
      const stored = this.log.read(validateUpdate);
      let more: Partial<LoadReport> = {};
      if (stored.damage.length > 0) more = await this.recover(room, docId, stored);
      else room.loadFrom(stored.snapshot, stored.log, stored.snapshotStateVector);
      if (this.log.getMeta("doc_id") === undefined) this.log.setMeta("doc_id", docId);
      if (this.log.lastSeq > this.log.getMetaNumber("d1_flushed_seq"))
        this.firstUnflushedAt = this.now();
      return report("storage", more);
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
      this.log.read(validateUpdate); // re-reads sequence numbers
      return report("d1", { deferred: false });
    }
    if (mode === "existing") throw new DocumentNotFoundError(`document ${docId} does not exist`);
    if (mode === "view") return report("new", { provisional: true });
    this.materialize(docId);
    return report("new");
  }

  /**
   * Damage was found: the intact rows are kept; a damaged snapshot is replaced by D1's
   * generation of the same incarnation (never by nothing). Only once everything is read does
   * anything change, in one transaction: damaged rows move to quarantine, D1's copy takes the
   * snapshot's place. Without an intact copy the load throws and changes nothing.
   */
  private async recover(
    room: Room,
    docId: string,
    stored: LoadedState,
  ): Promise<Partial<LoadReport>> {
    const damagedSnapshot = stored.damage.find((d) => d.source === "snapshot");
    let replacement: { snapshot: Uint8Array; throughSeq: number; stateVector: Uint8Array } | null =
      null;
    let recovered: LoadReport["recovered"] = null;
    if (damagedSnapshot) {
      const record = await this.d1.get(docId);
      if (!record || record.epoch !== this.epoch) {
        throw new DocumentDamagedError(
          `the stored snapshot of ${docId} is damaged (${damagedSnapshot.reason}) and D1 holds no copy of it`,
        );
      }
      const snapshot = await this.d1.loadSnapshot(record);
      validateUpdate(snapshot);
      replacement = {
        snapshot,
        throughSeq: record.flushedSeq,
        stateVector: Y.encodeStateVectorFromUpdate(snapshot),
      };
      const lost: [number, number] | null =
        stored.snapshotSeq > record.flushedSeq ? [record.flushedSeq + 1, stored.snapshotSeq] : null;
      recovered = { from: "d1", generation: record.generation, lostSeqs: lost };
    }
    const quarantined = this.log.repair(stored.damage, replacement);
    for (const row of quarantined) {
      console.error(
        `edgesync: quarantined damaged ${row.source} of ${docId} (row ${row.id}): ${row.reason}`,
      );
    }
    if (recovered) {
      this.log.setMeta("d1_generation", recovered.generation);
      const lost = recovered.lostSeqs
        ? `; updates ${recovered.lostSeqs.join("–")} were only in it`
        : "";
      console.error(`edgesync: ${docId} rebuilt from D1 generation ${recovered.generation}${lost}`);
    }
    const snapshot = replacement?.snapshot ?? stored.snapshot;
    room.loadFrom(snapshot, stored.log, replacement?.stateVector ?? stored.snapshotStateVector);
    return { quarantined, recovered };
  }

  /** Gives a new document its identity (id, epoch, creation time); a no-op once it has one. */
  materialize(docId: string): void {
    if (this.log.getMeta("epoch") !== undefined) return;
    this.log.setMeta("doc_id", docId);
    this.log.setMeta("epoch", crypto.randomUUID());
    this.log.setMeta("created_at", this.now());
  }

  /** True once the document exists in storage (false for a provisional view). */
  get exists(): boolean {
    return this.log.getMeta("epoch") !== undefined;
  }

  /** Records a stored change (called on the hot path: memory only). */
  noteChange(): void {
    const now = this.now();
    this.lastChangeAt = now;
    this.firstUnflushedAt ??= now;
  }

  private compactionDue(): boolean {
    return (
      this.log.logRows >= this.limits.compactLogRows ||
      this.log.logBytes >= this.limits.compactLogBytes
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
    const stateVector = Y.encodeStateVector(room.doc);
    const seq = this.log.lastSeq;
    if (compactDue) this.compact(room, snapshot, seq, stateVector);
    if (flushDue) await this.flush(snapshot, seq, stateVector);
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
    if (
      this.log.logRows < compactLogRows * COMPACT_BACKSTOP_FACTOR &&
      this.log.logBytes < compactLogBytes * COMPACT_BACKSTOP_FACTOR
    ) {
      return;
    }
    try {
      this.compact(
        room,
        Y.encodeStateAsUpdate(room.doc),
        this.log.lastSeq,
        Y.encodeStateVector(room.doc),
      );
    } catch (err) {
      // The transaction rolled back; the alarm (or the next message) tries again.
      console.error(
        `edgesync: backstop compaction of ${this.docId} failed: ${(err as Error).message}`,
      );
    }
  }

  /** Replaces the snapshot and drops covered log rows in one transaction. */
  compact(room: Room, snapshot: Uint8Array, seq: number, stateVector: Uint8Array): void {
    const docId = this.docId;
    const logBytes = this.log.logBytes;
    // `stateVector` is the snapshot's: callers encode both from the document in one synchronous step.
    this.log.compact(snapshot, seq, stateVector, () => {
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

  /**
   * Writes `snapshot` (covering `seq`, with state vector `stateVector`) to D1 as the next
   * generation; backs off on failure. Never replaces a generation that holds updates the
   * snapshot lacks (its state vector is not covered): replication is held and reported instead.
   */
  flush(snapshot: Uint8Array, seq: number, stateVector: Uint8Array): Promise<void> {
    this.inflight = this.doFlush(snapshot, seq, stateVector).finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async doFlush(snapshot: Uint8Array, seq: number, stateVector: Uint8Array): Promise<void> {
    const docId = this.docId;
    if (docId === null) return;
    const flushedAt = this.now();
    let generation = 0;
    try {
      maybeFail(docId, "d1-flush");
      const current = await this.d1.get(docId);
      if (
        current?.stateVector &&
        current.epoch === this.epoch &&
        !covers(stateVector, current.stateVector)
      ) {
        throw new Error(
          `D1 generation ${current.generation} holds updates this copy lacks: not replaced`,
        );
      }
      // Normally D1's generation is the one we last wrote; never reuse a number it already has.
      generation = Math.max(this.log.getMetaNumber("d1_generation"), current?.generation ?? 0) + 1;
      await this.d1.flush(
        {
          stateVector,
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
      const delay = Math.min(
        this.limits.flushRetryBaseMs * 2 ** (failures - 1),
        this.limits.flushRetryMaxMs,
      );
      this.retryAt = this.now() + delay;
      this.lastFlushError = (err as Error).message;
      console.error(
        `edgesync: D1 flush of ${docId} failed (attempt ${failures}, retry in ${delay} ms): ${this.lastFlushError}`,
      );
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

  private bump(
    key:
      "log_bytes_total" | "compactions" | "snapshot_bytes_total" | "d1_flushes" | "d1_bytes_total",
    by: number,
  ): void {
    this.log.setMeta(key, this.log.getMetaNumber(key) + by);
  }

  /** Cumulative write accounting (log bytes are counted when compacted). */
  writeTotals(): Record<string, number> {
    const keys = [
      "log_bytes_total",
      "compactions",
      "snapshot_bytes_total",
      "d1_flushes",
      "d1_bytes_total",
    ] as const;
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

/** True when state vector `a` includes every update of state vector `b`. */
function covers(a: Uint8Array, b: Uint8Array): boolean {
  const mine = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b))
    if ((mine.get(client) ?? 0) < clock) return false;
  return true;
}

function mergeStateVectors(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (!a) return b;
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b))
    merged.set(client, Math.max(clock, merged.get(client) ?? 0));
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
