// The Durable Object's own storage for one document: an append-only update log plus one
// chunked snapshot, in the DO's synchronous SQLite (writes are covered by output gates).
import { CHUNK_BYTES } from "../config";
import { joinChunks, splitChunks } from "./chunks";
import { crc32 } from "./crc32";

/** The subset of Cloudflare's SqlStorage this store uses. */
export interface Sql {
  exec<T extends Record<string, SqlStorageValue>>(
    query: string,
    ...bindings: unknown[]
  ): SqlStorageCursor<T>;
}

/** A stored row found damaged (checksum mismatch or not decodable), moved aside for an operator. */
export interface QuarantinedRow {
  id: number;
  source: string;
  reason: string;
  bytes: number;
  at: number;
}

export interface LogEntry {
  seq: number;
  data: Uint8Array;
}

/** A stored row that did not pass its checks, found by `read` (nothing is written then). */
export interface Damage {
  /** "snapshot" or "log:<seq>". */
  source: string;
  reason: string;
  data: Uint8Array;
}

export interface LoadedState {
  /** The latest snapshot's bytes, or null if there is none (or it is damaged: see `damage`). */
  snapshot: Uint8Array | null;
  /** The log sequence the snapshot covers (rows up to it were deleted when it was written). */
  snapshotSeq: number;
  /** Intact log entries after the snapshot, in order. */
  log: LogEntry[];
  /**
   * The snapshot's state vector as stored beside it at compaction, when the snapshot's bytes
   * are unchanged since (its CRC-32 matched); null otherwise.
   */
  snapshotStateVector: Uint8Array | null;
  /** Rows that failed their checksum or decode: not in `snapshot` or `log`, still stored. */
  damage: Damage[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS es_log (seq INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER, PRIMARY KEY (seq, part));
CREATE TABLE IF NOT EXISTS es_snapshot (part INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS es_meta (key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS es_quarantine (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, reason TEXT NOT NULL, data BLOB, at INTEGER NOT NULL);
`;

/** Meta keys kept in es_meta. */
export type MetaKey =
  | "doc_id"
  | "epoch"
  | "created_at"
  | "updated_at"
  | "snapshot_seq"
  | "snapshot_bytes"
  | "snapshot_crc32"
  | "snapshot_sv"
  | "d1_generation"
  | "d1_flushed_seq"
  | "d1_failures"
  | "tombstone_sv"
  | "log_bytes_total"
  | "compactions"
  | "snapshot_bytes_total"
  | "d1_flushes"
  | "d1_bytes_total";

export class SqliteLog {
  /** Next sequence number to append; log rows have seq > snapshotSeq. */
  private nextSeq = 1;
  /** Rows and bytes in the log since the last snapshot (drives compaction). */
  logRows = 0;
  logBytes = 0;

  constructor(
    private readonly sql: Sql,
    private readonly transaction: <T>(fn: () => T) => T,
  ) {
    for (const statement of SCHEMA.split(";")
      .map((s) => s.trim())
      .filter(Boolean)) {
      sql.exec(statement);
    }
    // Logs written before rows carried checksums: add the column (those rows keep NULL and
    // are checked by decoding them instead).
    try {
      sql.exec("SELECT crc FROM es_log LIMIT 0");
    } catch {
      sql.exec("ALTER TABLE es_log ADD COLUMN crc INTEGER");
    }
  }

  getMeta(key: MetaKey): SqlStorageValue | undefined {
    const rows = this.sql
      .exec<{ value: SqlStorageValue }>("SELECT value FROM es_meta WHERE key = ?", key)
      .toArray();
    return rows[0]?.value ?? undefined;
  }

  getMetaNumber(key: MetaKey, fallback = 0): number {
    const value = this.getMeta(key);
    return typeof value === "number" ? value : fallback;
  }

  getMetaBytes(key: MetaKey): Uint8Array | null {
    const value = this.getMeta(key);
    return value instanceof ArrayBuffer ? new Uint8Array(value) : null;
  }

  setMeta(key: MetaKey, value: SqlStorageValue | Uint8Array): void {
    this.sql.exec("INSERT OR REPLACE INTO es_meta (key, value) VALUES (?, ?)", key, value);
  }

  /** True when nothing about a document has ever been stored here. */
  isEmpty(): boolean {
    const row = this.sql
      .exec<{ n: number }>(
        "SELECT (SELECT COUNT(*) FROM es_log) + (SELECT COUNT(*) FROM es_snapshot) + (SELECT COUNT(*) FROM es_meta WHERE key = 'epoch') AS n",
      )
      .one();
    return row.n === 0;
  }

  /**
   * Reads the snapshot and the log after it, checking every row: a stored CRC-32 that does not
   * match is damage (even if the bytes still decode); a row stored without one (written before
   * checksums) is damage if it does not decode. Writes nothing: the caller decides what to serve
   * and then calls `repair`.
   */
  read(validate: (update: Uint8Array) => void): LoadedState {
    const damage: Damage[] = [];
    let snapshot: Uint8Array | null = null;
    let snapshotStateVector: Uint8Array | null = null;
    const parts = this.sql
      .exec<{ data: ArrayBuffer }>("SELECT data FROM es_snapshot ORDER BY part")
      .toArray();
    const stored = this.getMeta("snapshot_crc32");
    if (parts.length === 0 && stored !== undefined) {
      damage.push({
        source: "snapshot",
        reason: "missing: its checksum is recorded but no rows are",
        data: new Uint8Array(0),
      });
    }
    if (parts.length > 0) {
      const bytes = joinChunks(parts.map((p) => new Uint8Array(p.data)));
      const problem =
        typeof stored === "number" ? crcProblem(stored, bytes) : decodeProblem(validate, bytes);
      if (problem) damage.push({ source: "snapshot", reason: problem, data: bytes });
      else {
        snapshot = bytes;
        // Unchanged since compaction, so the state vector stored beside it still describes it.
        if (typeof stored === "number") snapshotStateVector = this.getMetaBytes("snapshot_sv");
      }
    }

    const log: LogEntry[] = [];
    type Pending = { seq: number; parts: Uint8Array[]; problem: string | null; unchecked: boolean };
    let pending: Pending | null = null;
    const settle = (row: Pending) => {
      const data = joinChunks(row.parts);
      const problem = row.problem ?? (row.unchecked ? decodeProblem(validate, data) : null);
      if (problem) damage.push({ source: `log:${row.seq}`, reason: problem, data });
      else log.push({ seq: row.seq, data });
    };
    const rows = this.sql.exec<{ seq: number; data: ArrayBuffer; crc: number | null }>(
      "SELECT seq, data, crc FROM es_log ORDER BY seq, part",
    );
    for (const row of rows) {
      if (pending && pending.seq !== row.seq) settle(pending);
      if (!pending || pending.seq !== row.seq)
        pending = { seq: row.seq, parts: [], problem: null, unchecked: false };
      const part = new Uint8Array(row.data);
      pending.parts.push(part);
      if (row.crc === null)
        pending.unchecked = true; // written before rows carried checksums
      else pending.problem ??= crcProblem(row.crc, part);
    }
    if (pending) settle(pending);

    const snapshotSeq = this.getMetaNumber("snapshot_seq");
    const maxRow =
      this.sql.exec<{ m: number | null }>("SELECT MAX(seq) AS m FROM es_log").one().m ?? 0;
    this.nextSeq = Math.max(snapshotSeq, maxRow) + 1;
    this.logRows = log.length;
    this.logBytes = log.reduce((n, e) => n + e.data.length, 0);
    return { snapshot, snapshotSeq, log, snapshotStateVector, damage };
  }

  /** Appends one update to the log (one INSERT per 512 KiB part) and returns its sequence number. */
  append(update: Uint8Array): number {
    const seq = this.nextSeq++;
    const parts = splitChunks(update, CHUNK_BYTES);
    for (let part = 0; part < parts.length; part++) {
      const data = parts[part]!;
      this.sql.exec(
        "INSERT INTO es_log (seq, part, data, crc) VALUES (?, ?, ?, ?)",
        seq,
        part,
        data,
        crc32(data),
      );
    }
    this.logRows++;
    this.logBytes += update.length;
    return seq;
  }

  /** The sequence number of the last appended update: also the count of updates ever stored. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Replaces the snapshot with `snapshot`, which must cover every log row up to `throughSeq`,
   * and deletes those rows — in one transaction, so a failure part way leaves the old state.
   * Running it twice with the same arguments leaves the same state (idempotent).
   * `stateVector` is the snapshot's, kept beside it so a load can answer sync step 1 before
   * applying the snapshot (null when the caller does not have it).
   * `beforeCommit` runs inside the transaction after all writes (a fault-injection seam).
   */
  compact(
    snapshot: Uint8Array,
    throughSeq: number,
    stateVector: Uint8Array | null,
    beforeCommit?: () => void,
  ): void {
    this.transaction(() => {
      this.sql.exec("DELETE FROM es_snapshot");
      const parts = splitChunks(snapshot, CHUNK_BYTES);
      for (let part = 0; part < parts.length; part++) {
        this.sql.exec("INSERT INTO es_snapshot (part, data) VALUES (?, ?)", part, parts[part]);
      }
      this.setMeta("snapshot_seq", throughSeq);
      this.setMeta("snapshot_bytes", snapshot.length);
      this.setMeta("snapshot_crc32", crc32(snapshot));
      if (stateVector) this.setMeta("snapshot_sv", stateVector);
      else this.sql.exec("DELETE FROM es_meta WHERE key = 'snapshot_sv'");
      this.sql.exec("DELETE FROM es_log WHERE seq <= ?", throughSeq);
      beforeCommit?.();
    });
    const rest = this.sql
      .exec<{ rows: number; bytes: number | null }>(
        "SELECT COUNT(DISTINCT seq) AS rows, SUM(LENGTH(data)) AS bytes FROM es_log",
      )
      .one();
    this.logRows = rest.rows;
    this.logBytes = rest.bytes ?? 0;
  }

  /** Rows currently in the log (counted in storage, for stats and tests). */
  countLogRows(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(DISTINCT seq) AS n FROM es_log").one().n;
  }

  /**
   * Moves damaged rows found by `read` into the quarantine table (bytes kept for an operator)
   * and, when given, replaces the snapshot with an intact one from elsewhere (D1) — in one
   * transaction, so a crash part way leaves the damage in place to be found again.
   */
  repair(
    damage: Damage[],
    replacement: { snapshot: Uint8Array; throughSeq: number; stateVector: Uint8Array } | null,
  ): QuarantinedRow[] {
    return this.transaction(() => {
      const moved = damage.map((d) => {
        if (d.source === "snapshot") this.sql.exec("DELETE FROM es_snapshot");
        else
          this.sql.exec("DELETE FROM es_log WHERE seq = ?", Number(d.source.slice("log:".length)));
        return this.quarantine(d.source, d.reason, d.data);
      });
      if (replacement)
        this.compact(replacement.snapshot, replacement.throughSeq, replacement.stateVector);
      return moved;
    });
  }

  private quarantine(source: string, reason: string, data: Uint8Array | null): QuarantinedRow {
    const at = Date.now();
    const row = this.sql
      .exec<{ id: number }>(
        "INSERT INTO es_quarantine (source, reason, data, at) VALUES (?, ?, ?, ?) RETURNING id",
        source,
        reason,
        data,
        at,
      )
      .one();
    return { id: row.id, source, reason, bytes: data?.length ?? 0, at };
  }

  listQuarantine(): QuarantinedRow[] {
    return this.sql
      .exec<{ id: number; source: string; reason: string; bytes: number; at: number }>(
        "SELECT id, source, reason, LENGTH(data) AS bytes, at FROM es_quarantine ORDER BY id",
      )
      .toArray()
      .map((r) => ({ ...r, bytes: r.bytes ?? 0 }));
  }

  /** Deletes everything stored for the document. */
  wipe(): void {
    this.transaction(() => {
      this.sql.exec("DELETE FROM es_log");
      this.sql.exec("DELETE FROM es_snapshot");
      this.sql.exec("DELETE FROM es_meta");
      this.sql.exec("DELETE FROM es_quarantine");
    });
    this.nextSeq = 1;
    this.logRows = 0;
    this.logBytes = 0;
  }
}

function crcProblem(stored: number, bytes: Uint8Array): string | null {
  const actual = crc32(bytes);
  return actual === stored ? null : `checksum mismatch (stored ${stored}, bytes ${actual})`;
}

function decodeProblem(validate: (update: Uint8Array) => void, bytes: Uint8Array): string | null {
  try {
    validate(bytes);
    return null;
  } catch (err) {
    return `does not decode: ${(err as Error).message}`;
  }
}
