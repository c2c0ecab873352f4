// History's rows in the document's own SQLite (schema.ts: es_history, es_checkpoints): every
// stored update with its time, actor and origin, and checkpoints — the encoded
// document through a seq — some of them named versions. Queries only; when to write a checkpoint
// and what to prune is history/history.ts's business. Wiped with the document (sqlite-log.ts).
import { CHUNK_BYTES } from "../config";
import type { VersionEntry } from "../contract";
import type { HistoryUpdate } from "../history/undo";
import { joinChunks, splitChunks } from "./chunks";
import type { Sql } from "./sqlite-log";

/** One stored update as history keeps it: the shape history/undo.ts computes over. */
export type { HistoryUpdate };

/** A checkpoint's facts (the state is read separately: it may be large). */
export interface CheckpointRow {
  id: number;
  seq: number;
  ts: number;
  name: string | null;
  actor: string | null;
  bytes: number;
}

export interface ActivityRow {
  seq: number;
  ts: number;
  actor: string;
  origin: string;
  bytes: number;
  /** The update's first part (enough to tell the root types of all but the largest). */
  data: ArrayBuffer;
}

/** What history holds: rows and bytes of updates and of checkpoints. */
export interface HistorySize {
  updates: number;
  updateBytes: number;
  checkpoints: number;
  checkpointBytes: number;
}

type Row = Record<string, SqlStorageValue>;
const CHECKPOINT_COLUMNS = "id, seq, ts, name, actor, bytes";

export class HistoryStore {
  constructor(
    private readonly sql: Sql,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {}

  /** Records one stored update (inside the write's own transaction: one INSERT per part). */
  record(seq: number, ts: number, actor: string, origin: string, update: Uint8Array) {
    const parts = splitChunks(update, CHUNK_BYTES);
    for (let part = 0; part < parts.length; part++) {
      this.sql.exec(
        "INSERT INTO es_history (seq, part, ts, actor, origin, bytes, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        seq,
        part,
        ts,
        actor,
        origin,
        update.length,
        parts[part],
      );
    }
  }

  /** Writes a checkpoint (a named version when `name` is given); returns it. */
  putCheckpoint(c: Omit<CheckpointRow, "id" | "bytes">, state: Uint8Array): CheckpointRow {
    return this.transaction(() => {
      const next = "SELECT COALESCE(MAX(id), 0) + 1 AS id FROM es_checkpoints";
      const { id } = this.sql.exec<{ id: number }>(next).one();
      const parts = splitChunks(state, CHUNK_BYTES);
      for (let part = 0; part < parts.length; part++) {
        this.sql.exec(
          "INSERT INTO es_checkpoints (id, part, seq, ts, name, actor, bytes, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          id,
          part,
          c.seq,
          c.ts,
          c.name,
          c.actor,
          state.length,
          parts[part],
        );
      }
      return { id, ...c, bytes: state.length };
    });
  }

  checkpoint(id: number): CheckpointRow | null {
    const query = `SELECT ${CHECKPOINT_COLUMNS} FROM es_checkpoints WHERE id = ? AND part = 0`;
    return (this.sql.exec<Row>(query, id).toArray()[0] as unknown as CheckpointRow) ?? null;
  }

  /** The checkpoint with the highest seq at or below `seq` (the latest id among equals). */
  checkpointAtOrBefore(seq: number): CheckpointRow | null {
    const query = `SELECT ${CHECKPOINT_COLUMNS} FROM es_checkpoints WHERE part = 0 AND seq <= ? ORDER BY seq DESC, id DESC LIMIT 1`;
    return (this.sql.exec<Row>(query, seq).toArray()[0] as unknown as CheckpointRow) ?? null;
  }

  /** The oldest checkpoint (`named` false: unnamed only — the base of retained history), or null. */
  oldestCheckpoint(named = true): CheckpointRow | null {
    const which = named ? "" : " AND name IS NULL";
    const query = `SELECT ${CHECKPOINT_COLUMNS} FROM es_checkpoints WHERE part = 0${which} ORDER BY seq, id LIMIT 1`;
    return (this.sql.exec<Row>(query).toArray()[0] as unknown as CheckpointRow) ?? null;
  }

  /** The highest seq of a checkpoint taken at or before `ts`, or null. */
  checkpointSeqAtOrBefore(ts: number): number | null {
    const query = "SELECT MAX(seq) AS seq FROM es_checkpoints WHERE ts <= ?";
    return this.sql.exec<{ seq: number | null }>(query, ts).one().seq;
  }

  /** The time of the oldest recorded update, or null. */
  oldestUpdateTs(): number | null {
    const query = "SELECT ts FROM es_history ORDER BY seq LIMIT 1";
    return this.sql.exec<{ ts: number }>(query).toArray()[0]?.ts ?? null;
  }

  /** The latest checkpoint by seq, or null. */
  latestCheckpoint(): CheckpointRow | null {
    return this.checkpointAtOrBefore(Number.MAX_SAFE_INTEGER);
  }

  /** A checkpoint's encoded state. */
  checkpointState(id: number): Uint8Array {
    const parts = this.sql
      .exec<{ data: ArrayBuffer }>("SELECT data FROM es_checkpoints WHERE id = ? ORDER BY part", id)
      .toArray();
    return joinChunks(parts.map((p) => new Uint8Array(p.data)));
  }

  /** The stored updates with `after` < seq ≤ `through`, in seq order. */
  updates(after: number, through: number): HistoryUpdate[] {
    const rows = this.sql.exec<{
      seq: number;
      ts: number;
      actor: string;
      origin: string;
      data: ArrayBuffer;
    }>(
      "SELECT seq, ts, actor, origin, data FROM es_history WHERE seq > ? AND seq <= ? ORDER BY seq, part",
      after,
      through,
    );
    const out: HistoryUpdate[] = [];
    let parts: Uint8Array[] = [];
    let last: HistoryUpdate | null = null;
    for (const r of rows) {
      if (last && last.seq !== r.seq) {
        last.update = joinChunks(parts);
        parts = [];
      }
      if (!last || last.seq !== r.seq) {
        last = {
          seq: r.seq,
          ts: r.ts,
          actor: r.actor,
          origin: r.origin,
          update: new Uint8Array(0),
        };
        out.push(last);
      }
      parts.push(new Uint8Array(r.data));
    }
    if (last) last.update = joinChunks(parts);
    return out;
  }

  /** The lowest and highest seq recorded, or null when no update is. */
  seqRange(): { min: number; max: number } | null {
    const query = "SELECT MIN(seq) AS min, MAX(seq) AS max FROM es_history";
    const { min, max } = this.sql.exec<{ min: number | null; max: number | null }>(query).one();
    return min === null || max === null ? null : { min, max };
  }

  /**
   * The highest recorded seq whose time is at or before `ts`, or null. Times never decrease along
   * seq (history.ts keeps them monotonic), so this is a binary search on the primary key: a few
   * dozen lookups however long the history, and no index to pay for on every write.
   */
  seqAtOrBefore(ts: number): number | null {
    const range = this.seqRange();
    if (!range) return null;
    const first = "SELECT seq, ts FROM es_history WHERE seq >= ? AND part = 0 ORDER BY seq LIMIT 1";
    const probe = (seq: number) =>
      this.sql.exec<{ seq: number; ts: number }>(first, seq).toArray()[0];
    if (probe(range.min)!.ts > ts) return null;
    let lo = range.min;
    let hi = range.max;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const row = probe(mid);
      if (row && row.seq <= hi && row.ts <= ts) lo = row.seq;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Activity, newest first: updates with seq in [from, to] (and by `actor`), at most `limit`. */
  activity(from: number, to: number, actor: string | null, limit: number): ActivityRow[] {
    const byActor = actor === null ? "" : " AND actor = ?";
    const query = `SELECT seq, ts, actor, origin, bytes, data FROM es_history WHERE part = 0 AND seq >= ? AND seq <= ?${byActor} ORDER BY seq DESC LIMIT ?`;
    const args = actor === null ? [from, to, limit] : [from, to, actor, limit];
    return this.sql.exec<Row>(query, ...args).toArray() as unknown as ActivityRow[];
  }

  /** Checkpoints and versions with id below `before`, newest first (named: versions only). */
  versions(before: number, limit: number, named: boolean): VersionEntry[] {
    const onlyNamed = named ? " AND name IS NOT NULL" : "";
    const query = `SELECT ${CHECKPOINT_COLUMNS} FROM es_checkpoints WHERE part = 0 AND id < ?${onlyNamed} ORDER BY id DESC LIMIT ?`;
    const rows = this.sql.exec<Row>(query, before, limit).toArray() as unknown as CheckpointRow[];
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.name === null ? "checkpoint" : "version",
      name: r.name,
      ts: r.ts,
      actor: r.actor,
      seq: r.seq,
      bytes: r.bytes,
    }));
  }

  /** Updates recorded after `seq`: how many, and their bytes. */
  since(seq: number): { rows: number; bytes: number } {
    const query =
      "SELECT COUNT(*) AS rows, COALESCE(SUM(bytes), 0) AS bytes FROM es_history WHERE part = 0 AND seq > ?";
    return this.sql.exec<{ rows: number; bytes: number }>(query, seq).one();
  }

  /**
   * Pruning, in one transaction: `base` (the state through `seq`, at `ts`) becomes a checkpoint
   * unless one is there already; the updates it covers and the older unnamed checkpoints go.
   * Named versions stay (they carry their own state).
   */
  prune(seq: number, ts: number, base: Uint8Array | null): void {
    this.transaction(() => {
      if (base) this.putCheckpoint({ seq, ts, name: null, actor: null }, base);
      this.sql.exec("DELETE FROM es_history WHERE seq <= ?", seq);
      this.sql.exec("DELETE FROM es_checkpoints WHERE name IS NULL AND seq < ?", seq);
    });
  }

  size(): HistorySize {
    const updates = this.sql
      .exec<{ n: number; b: number | null }>(
        "SELECT COUNT(DISTINCT seq) AS n, SUM(LENGTH(data)) AS b FROM es_history",
      )
      .one();
    const checkpoints = this.sql
      .exec<{ n: number; b: number | null }>(
        "SELECT COUNT(DISTINCT id) AS n, SUM(LENGTH(data)) AS b FROM es_checkpoints",
      )
      .one();
    return {
      updates: updates.n,
      updateBytes: updates.b ?? 0,
      checkpoints: checkpoints.n,
      checkpointBytes: checkpoints.b ?? 0,
    };
  }
}
