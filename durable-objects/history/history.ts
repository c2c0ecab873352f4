// The history feature (docs/history.md): every stored update is kept with its time, actor and
// origin in the document's own SQLite, in the write's own transaction (its `stored` event);
// compaction's snapshot becomes a checkpoint when enough has changed since the last; a named
// timer prunes what is older than the retention. The past is read as the latest checkpoint at or
// before a point plus the updates after it. Installed only when HISTORY_RETENTION_DAYS > 0.
import * as Y from "yjs";
import { failure, type HistoryPoint, type RpcFailure } from "../contract";
import type { DocumentEvents } from "../events";
import type { Timers } from "../timers";
import { HistoryStore, type CheckpointRow, type HistoryUpdate } from "../storage/history-store";
import type { Sql } from "../storage/sqlite-log";

/** The timer that prunes history older than the retention. */
export const HISTORY_PRUNE_TIMER = "history-prune";
/** A day in milliseconds (HISTORY_RETENTION_DAYS counts them). */
export const DAY_MS = 86_400_000;
/**
 * Pruning waits this long past the moment the oldest update leaves the retention, so it runs at
 * most about once an hour however steadily a document is edited (history is kept at least as
 * long as the retention, at most this much longer).
 */
export const PRUNE_BATCH_MS = 3_600_000;
/**
 * A compaction's snapshot becomes a checkpoint once the updates stored since the last checkpoint
 * reach this many bytes, or the snapshot's own size, whichever is more: checkpoints then take at
 * most about as many bytes as the updates between them (docs/history.md has the measured sizes).
 */
export const CHECKPOINT_MIN_BYTES = 256 * 1024;
/**
 * … or once this many updates were stored since the last: a read applies at most about this many
 * (measured: ~33 µs per keystroke update applied in one transaction on the loaded test machine).
 */
export const CHECKPOINT_MAX_UPDATES = 5_000;

export interface HistorySettings {
  /** Days history is kept (HISTORY_RETENTION_DAYS, > 0 here: 0 installs nothing). */
  retentionDays: number;
  /** Updates after which a compaction's snapshot is always a checkpoint (CHECKPOINT_MAX_UPDATES). */
  checkpointMaxUpdates?: number;
  now?: () => number;
}

const NOT_RETAINED = (what: string) =>
  failure(410, "history_not_retained", `${what} is before the oldest retained history`);

export class History {
  readonly store: HistoryStore;
  private readonly retentionMs: number;
  private readonly checkpointMaxUpdates: number;
  private readonly now: () => number;
  /** Latest time recorded: times never go backwards along seq (the search relies on it). */
  private lastTs = 0;
  /** Seq of the latest checkpoint, and what was stored after it (memory; recounted on load). */
  private checkpointSeq = 0;
  private since = { rows: 0, bytes: 0 };
  /** When the prune timer was last asked for (null: not asked by this instance). */
  private pruneAt: number | null = null;

  constructor(
    sql: Sql,
    transaction: <T>(fn: () => T) => T,
    settings: HistorySettings,
    private readonly timers: Timers,
    /** The last seq the document's store appended (its state's). */
    private readonly lastSeq: () => number,
  ) {
    this.store = new HistoryStore(sql, transaction);
    this.retentionMs = settings.retentionDays * DAY_MS;
    this.checkpointMaxUpdates = settings.checkpointMaxUpdates ?? CHECKPOINT_MAX_UPDATES;
    this.now = settings.now ?? Date.now;
  }

  /** Subscribes to the document's events and registers the prune timer. */
  install(events: DocumentEvents): void {
    events.on("loaded", ({ report, room }) => {
      // The document only when a checkpoint is taken: reading `room.doc` applies a snapshot whose
      // application the load deferred (a cold load serves fresh clients from stored bytes).
      if (!report.provisional) this.onLoaded(() => room.doc, this.lastSeq());
    });
    events.on("stored", ({ seq, update, origin, actor }) => {
      const ts = (this.lastTs = Math.max(this.now(), this.lastTs));
      this.store.record(seq, ts, actor, origin, update);
      this.since.rows++;
      this.since.bytes += update.length;
      if (this.pruneAt === null) this.schedulePrune();
    });
    events.on("compacted", ({ throughSeq, snapshot }) => this.onCompacted(throughSeq, snapshot));
    events.on("deleted", () => {
      this.lastTs = 0;
      this.checkpointSeq = 0;
      this.since = { rows: 0, bytes: 0 };
      this.pruneAt = null;
    });
    this.timers.register(HISTORY_PRUNE_TIMER, () => this.prune());
  }

  /**
   * After a load: the base checkpoint when history holds nothing through the stored state — a
   * document that existed before history was on (or was edited while it was off) starts its
   * history here. Then memory is recounted from the rows.
   */
  private onLoaded(doc: () => Y.Doc, lastSeq: number): void {
    const latest = this.store.latestCheckpoint();
    const range = this.store.seqRange();
    const covered = Math.max(latest?.seq ?? -1, range?.max ?? -1);
    this.lastTs = Math.max(this.lastTs, this.maxTs());
    if (!latest || covered < lastSeq) {
      const ts = (this.lastTs = Math.max(this.now(), this.lastTs));
      const row = { seq: lastSeq, ts, name: null, actor: null };
      this.store.putCheckpoint(row, Y.encodeStateAsUpdate(doc()));
    }
    this.checkpointSeq = this.store.latestCheckpoint()!.seq;
    this.since = this.store.since(this.checkpointSeq);
    this.schedulePrune();
  }

  private maxTs(): number {
    const latest = this.store.latestCheckpoint();
    const range = this.store.seqRange();
    const last = range ? this.store.updates(range.max - 1, range.max)[0]?.ts : undefined;
    return Math.max(latest?.ts ?? 0, last ?? 0);
  }

  private onCompacted(throughSeq: number, snapshot: Uint8Array): void {
    const enough = Math.max(CHECKPOINT_MIN_BYTES, snapshot.length);
    if (this.since.bytes < enough && this.since.rows < this.checkpointMaxUpdates) return;
    if (throughSeq <= this.checkpointSeq) return;
    const ts = (this.lastTs = Math.max(this.now(), this.lastTs));
    this.store.putCheckpoint({ seq: throughSeq, ts, name: null, actor: null }, snapshot);
    this.checkpointSeq = throughSeq;
    this.since = this.store.since(throughSeq);
  }

  /** Names the current state as a version: its own checkpoint, kept past the retention. */
  createVersion(doc: Y.Doc, seq: number, name: string, actor: string): CheckpointRow {
    const ts = (this.lastTs = Math.max(this.now(), this.lastTs));
    return this.store.putCheckpoint({ seq, ts, name, actor }, Y.encodeStateAsUpdate(doc));
  }

  // ---- reading the past ----

  /** The seq a point stands for (a version's own, or the last update at or before a time). */
  seqOf(point: HistoryPoint): { seq: number; checkpoint: CheckpointRow | null } | RpcFailure {
    if ("version" in point) {
      const id = /^[1-9][0-9]{0,15}$/.test(point.version) ? Number(point.version) : 0;
      const checkpoint = id ? this.store.checkpoint(id) : null;
      if (!checkpoint)
        return failure(404, "version_not_found", `no version ${JSON.stringify(point.version)}`);
      return { seq: checkpoint.seq, checkpoint };
    }
    // Before the base (the oldest unnamed checkpoint) only named versions remain: not a time.
    const base = this.store.oldestCheckpoint(false);
    const seq = base && point.at >= base.ts ? this.seqAtTime(point.at) : null;
    return seq === null ? NOT_RETAINED(`time ${point.at}`) : { seq, checkpoint: null };
  }

  /** The last seq stored at or before `ts` (updates, or checkpoints such as the base), or null. */
  seqAtTime(ts: number): number | null {
    const fromUpdates = this.store.seqAtOrBefore(ts);
    const fromCheckpoints = this.store.checkpointSeqAtOrBefore(ts);
    if (fromUpdates === null && fromCheckpoints === null) return null;
    return Math.max(fromUpdates ?? -1, fromCheckpoints ?? -1);
  }

  /**
   * The document through `seq`: the latest checkpoint at or before it plus the updates after it
   * — all of them, or the read is refused as not retained (pruned). Applied in one transaction
   * (measured: merging thousands of small updates first is several times slower).
   */
  docThrough(seq: number, checkpoint: CheckpointRow | null = null): Y.Doc | RpcFailure {
    const base = checkpoint ?? this.store.checkpointAtOrBefore(seq);
    if (!base) return NOT_RETAINED(`seq ${seq}`);
    const updates = base.seq === seq ? [] : this.store.updates(base.seq, seq);
    if (updates.length !== seq - base.seq) return NOT_RETAINED(`seq ${seq}`);
    const doc = new Y.Doc();
    doc.transact(() => {
      Y.applyUpdate(doc, this.store.checkpointState(base.id));
      for (const u of updates) Y.applyUpdate(doc, u.update);
    });
    return doc;
  }

  /** The document at `point` as a Y.Doc, and the seq it stands for; or why not. */
  docAt(point: HistoryPoint): { doc: Y.Doc; seq: number } | RpcFailure {
    const at = this.seqOf(point);
    if ("ok" in at) return at;
    const doc = this.docThrough(at.seq, at.checkpoint);
    return doc instanceof Y.Doc ? { doc, seq: at.seq } : doc;
  }

  /** Every update stored after `seq`, in order (what a restore or revert computes over). */
  updatesAfter(seq: number): HistoryUpdate[] {
    return this.store.updates(seq, Number.MAX_SAFE_INTEGER);
  }

  // ---- retention ----

  /** Asks for the prune timer when the oldest retained update leaves the retention. */
  private schedulePrune(): void {
    const oldest = this.store.oldestUpdateTs();
    if (oldest === null) return;
    this.pruneAt = Math.max(oldest + this.retentionMs, this.now()) + PRUNE_BATCH_MS;
    this.timers.at(HISTORY_PRUNE_TIMER, this.pruneAt);
  }

  /**
   * Folds everything older than the retention into one checkpoint — the base the oldest retained
   * updates build on — and deletes the updates and unnamed checkpoints before it (one
   * transaction). Named versions stay. Returns when to run next.
   */
  prune(): number | null {
    this.pruneAt = null;
    const cutoff = this.now() - this.retentionMs;
    const seq = this.store.seqAtOrBefore(cutoff - 1);
    if (seq !== null) {
      const base = this.store.checkpointAtOrBefore(seq);
      if (base && base.seq === seq) this.store.prune(seq, base.ts, null);
      else {
        const doc = this.docThrough(seq);
        if (!(doc instanceof Y.Doc)) throw new Error(`history: ${doc.message}`);
        const ts = this.store.updates(seq - 1, seq)[0]!.ts;
        this.store.prune(seq, ts, Y.encodeStateAsUpdate(doc));
      }
    }
    const oldest = this.store.oldestUpdateTs();
    if (oldest === null) return null;
    this.pruneAt = Math.max(oldest + this.retentionMs, this.now()) + PRUNE_BATCH_MS;
    return this.pruneAt;
  }
}
