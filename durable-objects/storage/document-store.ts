// What a backend for one document's own storage offers: a few typed verbs. The Durable
// Object's SQLite log implements it (sqlite-log.ts); a Node test fake honours the same contract.
import type { QuarantinedRow } from "../contract";

export type { QuarantinedRow };

/** A stored row that did not pass its checks. */
export interface Damage {
  /** "snapshot" or "log:<seq>". */
  source: string;
  reason: string;
  data: Uint8Array;
}

/** A snapshot from elsewhere (D1) that takes the place of the stored one. */
export interface Replacement {
  snapshot: Uint8Array;
  /** The last log sequence it covers: log rows up to it are dropped. */
  throughSeq: number;
  stateVector: Uint8Array;
  /** The D1 generation it is. */
  generation: number;
}

/** Asked by `load` for an intact snapshot when the stored one is damaged; throws when none. */
export type Rescue = (damage: Damage, snapshotSeq: number) => Promise<Replacement>;

/** What `load` found, after moving damaged rows aside: the state to serve. */
export interface LoadedDocument {
  /** The snapshot (the rescued one when the stored one was damaged), or null if there is none. */
  snapshot: Uint8Array | null;
  /** Intact log entries after the snapshot, in order. */
  log: { seq: number; data: Uint8Array }[];
  /**
   * The snapshot's state vector as stored beside it at compaction when its bytes are unchanged
   * since (or the rescued snapshot's); null otherwise.
   */
  snapshotStateVector: Uint8Array | null;
  /** Damaged rows this load moved to quarantine. */
  quarantined: QuarantinedRow[];
  /** The replacement `rescue` gave for a damaged snapshot, and the sequence it had covered. */
  rescued: { replacement: Replacement; damagedSeq: number } | null;
}

/** Who the stored document is. */
export interface Identity {
  /** Null before the store has been opened for a document (or after a delete). */
  docId: string | null;
  /** The incarnation: new each time the id is created again after a delete; "" until created. */
  epoch: string;
  createdAt: number;
  updatedAt: number;
  /** State vector of deleted incarnations: content below it is never accepted back. */
  tombstone: Uint8Array | null;
}

/** What D1 holds of this document, as far as this store knows. */
export interface ReplicationState {
  /** The D1 snapshot generation last written (0 before the first flush). */
  generation: number;
  /** Last log sequence replicated to D1. */
  flushedSeq: number;
  /** Consecutive failed flushes (drives backoff); 0 when healthy. */
  failures: number;
}

/** Cumulative write accounting, for operators and cost figures (log bytes count at compaction). */
export interface WriteTotals {
  log_bytes_total: number;
  compactions: number;
  snapshot_bytes_total: number;
  d1_flushes: number;
  d1_bytes_total: number;
}

/** The store's size figures, kept in memory (no storage read). */
export interface StoreSize {
  /** Rows and bytes in the log since the last snapshot (drive compaction). */
  logRows: number;
  logBytes: number;
  snapshotBytes: number;
  /** Snapshot plus log bytes: an upper bound on the document's encoded size. */
  bytes: number;
  /** The last appended sequence number: also the count of updates ever stored. */
  lastSeq: number;
}

/** A copy of the document from D1, written as this store's whole state by `hydrate`. */
export interface Hydration {
  snapshot: Uint8Array;
  stateVector: Uint8Array;
  identity: { docId: string; epoch: string; createdAt: number; updatedAt: number };
  replicated: { generation: number; flushedSeq: number };
}

/** What a compaction covers (see DocumentStore.compact). */
export interface CompactOptions {
  /** The last log sequence the snapshot covers. */
  throughSeq: number;
  /** When the document last changed (kept as its updated time). */
  updatedAt: number;
  /** Runs inside the transaction after all writes (a fault-injection seam). */
  beforeCommit?: () => void;
}

/** A generation written to D1. */
export interface FlushRecord {
  generation: number;
  flushedSeq: number;
  bytes: number;
}

export interface DocumentStore {
  /**
   * Reads everything stored, checking every row. Damaged rows are moved to quarantine and a
   * damaged snapshot is replaced by `rescue`'s, in one transaction once everything is read; if
   * `rescue` throws, nothing is written. Records `docId` if the store had none. Returns null
   * (writing nothing) when nothing about a document has ever been stored here.
   */
  load(
    docId: string,
    validate: (update: Uint8Array) => void,
    rescue: Rescue,
  ): Promise<LoadedDocument | null>;
  /** Appends one update to the log (synchronously durable) and returns its sequence number. */
  append(update: Uint8Array): number;
  /**
   * Replaces the snapshot with `snapshot` (covering every log row up to `throughSeq`, with its
   * state vector) and deletes those rows, counting the writes — one transaction. Idempotent.
   */
  compact(snapshot: Uint8Array, stateVector: Uint8Array, opts: CompactOptions): void;
  /** Makes D1's copy this store's whole state (snapshot, identity, replication): one transaction. */
  hydrate(copy: Hydration): void;
  /**
   * Deletes everything stored for the document — every table of schema.ts, agents' peers and
   * activity included — keeping only `tombstone`: one transaction.
   */
  wipe(tombstone: Uint8Array): void;
  /** Gives a new document its identity (id, a new epoch, creation time); a no-op once it has one. */
  create(docId: string, at: number): void;
  identity(): Identity;
  replication(): ReplicationState;
  /** Records a flush to D1: the generation written, or `null` for a failure. */
  recordFlush(written: FlushRecord | null): ReplicationState;
  writeTotals(): WriteTotals;
  size(): StoreSize;
  quarantined(): QuarantinedRow[];
}
