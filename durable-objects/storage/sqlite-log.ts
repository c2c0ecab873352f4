// The Durable Object's own storage for one document: an append-only update log plus one
// chunked snapshot, in the DO's synchronous SQLite (writes are covered by output gates).
import { CHUNK_BYTES } from "../config";
import { joinChunks, splitChunks } from "./chunks";
import { crc32 } from "./crc32";

/** The subset of Cloudflare's SqlStorage this store uses. */
export interface Sql {
  exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T>;
}

/** A stored row that failed to decode, moved aside for inspection. */
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

export interface LoadedState {
  /** The latest snapshot's bytes, or null if there is none. */
  snapshot: Uint8Array | null;
  /** Log entries after the snapshot, in order. */
  log: LogEntry[];
  /**
   * The snapshot's state vector as stored beside it at compaction, when the snapshot's bytes
   * are unchanged since (its CRC-32 matched); null otherwise.
   */
  snapshotStateVector: Uint8Array | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS es_log (seq INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (seq, part));
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
    for (const statement of SCHEMA.split(";").map((s) => s.trim()).filter(Boolean)) {
      sql.exec(statement);
    }
  }

  getMeta(key: MetaKey): SqlStorageValue | undefined {
    const rows = this.sql.exec<{ value: SqlStorageValue }>("SELECT value FROM es_meta WHERE key = ?", key).toArray();
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
   * Reads the snapshot and the log after it. Rows whose bytes fail `validate` are moved to
   * the quarantine table and skipped; the document still loads.
   */
  load(validate: (update: Uint8Array) => void): LoadedState & { quarantined: QuarantinedRow[] } {
    const quarantined: QuarantinedRow[] = [];
    let snapshot: Uint8Array | null = null;
    let snapshotStateVector: Uint8Array | null = null;
    const parts = this.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM es_snapshot ORDER BY part").toArray();
    if (parts.length > 0) {
      const bytes = joinChunks(parts.map((p) => new Uint8Array(p.data)));
      try {
        // The snapshot is the bytes Y.encodeStateAsUpdate produced at compaction; when they are
        // unchanged (same CRC-32) a second full decode only to validate them is skipped. A
        // snapshot written before checksums existed, or one that changed, is decoded.
        if (this.getMeta("snapshot_crc32") !== crc32(bytes)) validate(bytes);
        else snapshotStateVector = this.getMetaBytes("snapshot_sv");
        snapshot = bytes;
      } catch (err) {
        quarantined.push(this.quarantine("snapshot", (err as Error).message, bytes));
        this.sql.exec("DELETE FROM es_snapshot");
      }
    }

    const log: LogEntry[] = [];
    let pending: { seq: number; parts: Uint8Array[] } | null = null;
    const flush = () => {
      if (!pending) return;
      const data = joinChunks(pending.parts);
      try {
        validate(data);
        log.push({ seq: pending.seq, data });
      } catch (err) {
        quarantined.push(this.quarantine(`log:${pending.seq}`, (err as Error).message, data));
        this.sql.exec("DELETE FROM es_log WHERE seq = ?", pending.seq);
      }
      pending = null;
    };
    for (const row of this.sql.exec<{ seq: number; data: ArrayBuffer }>("SELECT seq, data FROM es_log ORDER BY seq, part")) {
      if (pending && pending.seq !== row.seq) flush();
      if (!pending) pending = { seq: row.seq, parts: [] };
      pending.parts.push(new Uint8Array(row.data));
    }
    flush();

    const snapshotSeq = this.getMetaNumber("snapshot_seq");
    const lastSeq = log.length > 0 ? log[log.length - 1]!.seq : 0;
    const maxRow = this.sql.exec<{ m: number | null }>("SELECT MAX(seq) AS m FROM es_log").one().m ?? 0;
    this.nextSeq = Math.max(snapshotSeq, lastSeq, maxRow) + 1;
    this.logRows = log.length;
    this.logBytes = log.reduce((n, e) => n + e.data.length, 0);
    return { snapshot, log, snapshotStateVector, quarantined };
  }

  /** Appends one update to the log (one INSERT per 512 KiB part) and returns its sequence number. */
  append(update: Uint8Array): number {
    const seq = this.nextSeq++;
    const parts = splitChunks(update, CHUNK_BYTES);
    for (let part = 0; part < parts.length; part++) {
      this.sql.exec("INSERT INTO es_log (seq, part, data) VALUES (?, ?, ?)", seq, part, parts[part]);
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
  compact(snapshot: Uint8Array, throughSeq: number, stateVector: Uint8Array | null, beforeCommit?: () => void): void {
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

  quarantine(source: string, reason: string, data: Uint8Array | null): QuarantinedRow {
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
