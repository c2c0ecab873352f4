// The Durable Object's own storage for one document: an append-only update log plus one
// chunked snapshot, in the DO's synchronous SQLite (writes are covered by output gates).
// It owns its tables: identity, replication state, size and write accounting are verbs here,
// and the keys of its meta table are private.
import { CHUNK_BYTES } from "../config";
import { joinChunks, splitChunks } from "./chunks";
import { checkLog, crcProblem, decodeProblem, type LogRow } from "./checks";
import { crc32 } from "./crc32";
import { createStatements, TABLES } from "./schema";
import type {
  CompactOptions,
  Damage,
  FlushRecord,
  DocumentStore,
  Hydration,
  Identity,
  QuarantinedRow,
  Replacement,
  ReplicationState,
  Rescue,
  LoadedDocument,
  StoreSize,
  WriteTotals,
} from "./document-store";

/** The subset of Cloudflare's SqlStorage this store uses. */
export interface Sql {
  exec<T extends Record<string, SqlStorageValue>>(
    query: string,
    ...bindings: unknown[]
  ): SqlStorageCursor<T>;
}

/** Keys of es_meta (their names are stored: never rename one). */
type MetaKey =
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
  | keyof WriteTotals;

const TOTALS: (keyof WriteTotals)[] = [
  "log_bytes_total",
  "compactions",
  "snapshot_bytes_total",
  "d1_flushes",
  "d1_bytes_total",
];

export class SqliteLog implements DocumentStore {
  /** Next sequence number to append; log rows have seq > the snapshot's. */
  private nextSeq = 1;
  /** Rows and bytes in the log since the last snapshot, and the snapshot's bytes. */
  private logRows = 0;
  private logBytes = 0;
  private snapshotBytes = 0;

  constructor(
    private readonly sql: Sql,
    private readonly transaction: <T>(fn: () => T) => T,
    private readonly now: () => number = Date.now,
  ) {
    for (const statement of createStatements()) sql.exec(statement);
    // Logs written before rows carried checksums: add the column (those rows keep NULL and
    // are checked by decoding them instead).
    try {
      sql.exec("SELECT crc FROM es_log LIMIT 0");
    } catch {
      sql.exec("ALTER TABLE es_log ADD COLUMN crc INTEGER");
    }
  }

  async load(
    docId: string,
    validate: (update: Uint8Array) => void,
    rescue: Rescue,
  ): Promise<LoadedDocument | null> {
    if (this.isEmpty()) return null;
    const read = this.read(validate);
    const damagedSnapshot = read.damage.find((d) => d.source === "snapshot");
    // Everything is read before anything is written; a rescue that throws leaves it all as is.
    const replacement = damagedSnapshot ? await rescue(damagedSnapshot, read.snapshotSeq) : null;
    const quarantined = read.damage.length === 0 ? [] : this.repair(read.damage, replacement);
    if (this.getMeta("doc_id") === undefined) this.setMeta("doc_id", docId);
    const snapshot = replacement?.snapshot ?? read.snapshot;
    this.snapshotBytes = snapshot?.length ?? 0;
    return {
      snapshot,
      log: read.log,
      snapshotStateVector: replacement?.stateVector ?? read.snapshotStateVector,
      quarantined,
      rescued: replacement ? { replacement, damagedSeq: read.snapshotSeq } : null,
    };
  }

  /** True when nothing about a document has ever been stored here. */
  private isEmpty(): boolean {
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
   * checksums) is damage if it does not decode. Writes nothing.
   */
  private read(validate: (update: Uint8Array) => void) {
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

    const rows = this.sql.exec<LogRow>("SELECT seq, data, crc FROM es_log ORDER BY seq, part");
    const log = checkLog(rows, validate, damage);

    const snapshotSeq = this.getMetaNumber("snapshot_seq");
    const maxRow =
      this.sql.exec<{ m: number | null }>("SELECT MAX(seq) AS m FROM es_log").one().m ?? 0;
    this.nextSeq = Math.max(snapshotSeq, maxRow) + 1;
    this.logRows = log.length;
    this.logBytes = log.reduce((n, e) => n + e.data.length, 0);
    return { snapshot, snapshotSeq, log, snapshotStateVector, damage };
  }

  /**
   * Moves damaged rows into the quarantine table (bytes kept for an operator) and, when given,
   * puts the replacement snapshot in place with its D1 generation — in one transaction, so a
   * crash part way leaves the damage in place to be found again.
   */
  private repair(damage: Damage[], replacement: Replacement | null): QuarantinedRow[] {
    const quarantined = this.transaction(() => {
      const moved = damage.map((d) => {
        if (d.source === "snapshot") this.sql.exec("DELETE FROM es_snapshot");
        else
          this.sql.exec("DELETE FROM es_log WHERE seq = ?", Number(d.source.slice("log:".length)));
        return this.quarantine(d.source, d.reason, d.data);
      });
      if (replacement) {
        this.writeSnapshot(replacement.snapshot, replacement.throughSeq, replacement.stateVector);
        this.setMeta("d1_generation", replacement.generation);
      }
      return moved;
    });
    this.countLog();
    return quarantined;
  }

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

  compact(snapshot: Uint8Array, stateVector: Uint8Array, opts: CompactOptions): void {
    const logBytes = this.logBytes;
    this.transaction(() => {
      this.writeSnapshot(snapshot, opts.throughSeq, stateVector);
      // Write accounting, in the same transaction (for operators and the cost figures).
      this.bump("log_bytes_total", logBytes);
      this.bump("compactions", 1);
      this.bump("snapshot_bytes_total", snapshot.length);
      this.setMeta("updated_at", opts.updatedAt);
      opts.beforeCommit?.();
    });
    this.snapshotBytes = snapshot.length;
    this.countLog();
  }

  /** Writes the snapshot and deletes the log rows it covers (inside the caller's transaction). */
  private writeSnapshot(snapshot: Uint8Array, throughSeq: number, stateVector: Uint8Array): void {
    this.sql.exec("DELETE FROM es_snapshot");
    const parts = splitChunks(snapshot, CHUNK_BYTES);
    for (let part = 0; part < parts.length; part++) {
      this.sql.exec("INSERT INTO es_snapshot (part, data) VALUES (?, ?)", part, parts[part]);
    }
    this.setMeta("snapshot_seq", throughSeq);
    this.setMeta("snapshot_bytes", snapshot.length);
    this.setMeta("snapshot_crc32", crc32(snapshot));
    this.setMeta("snapshot_sv", stateVector);
    this.sql.exec("DELETE FROM es_log WHERE seq <= ?", throughSeq);
  }

  /** Recounts the log after rows were deleted. */
  private countLog(): void {
    const rest = this.sql
      .exec<{ rows: number; bytes: number | null; m: number | null }>(
        "SELECT COUNT(DISTINCT seq) AS rows, SUM(LENGTH(data)) AS bytes, MAX(seq) AS m FROM es_log",
      )
      .one();
    this.logRows = rest.rows;
    this.logBytes = rest.bytes ?? 0;
    this.nextSeq = Math.max(
      this.nextSeq,
      this.getMetaNumber("snapshot_seq") + 1,
      (rest.m ?? 0) + 1,
    );
  }

  /**
   * Hydration from D1, the one step that makes D1's copy ours: snapshot, identity and what D1
   * holds are written in one transaction, so a crash leaves either nothing (the next load
   * hydrates again) or the whole copy — never a snapshot without the identity it belongs to.
   */
  hydrate(copy: Hydration): void {
    this.transaction(() => {
      this.writeSnapshot(copy.snapshot, copy.replicated.flushedSeq, copy.stateVector);
      this.setMeta("doc_id", copy.identity.docId);
      this.setMeta("epoch", copy.identity.epoch);
      this.setMeta("created_at", copy.identity.createdAt);
      this.setMeta("updated_at", copy.identity.updatedAt);
      this.setMeta("d1_generation", copy.replicated.generation);
      this.setMeta("d1_flushed_seq", copy.replicated.flushedSeq);
    });
    this.snapshotBytes = copy.snapshot.length;
    this.countLog();
  }

  wipe(tombstone: Uint8Array): void {
    this.transaction(() => {
      // Every table the document has (schema.ts), agents' peers and activity included.
      for (const table of Object.keys(TABLES)) this.sql.exec(`DELETE FROM ${table}`);
      this.setMeta("tombstone_sv", tombstone);
    });
    this.nextSeq = 1;
    this.logRows = 0;
    this.logBytes = 0;
    this.snapshotBytes = 0;
  }

  create(docId: string, at: number): void {
    if (this.getMeta("epoch") !== undefined) return;
    this.transaction(() => {
      this.setMeta("doc_id", docId);
      this.setMeta("epoch", crypto.randomUUID());
      this.setMeta("created_at", at);
    });
  }

  identity(): Identity {
    const docId = this.getMeta("doc_id");
    return {
      docId: typeof docId === "string" ? docId : null,
      epoch: String(this.getMeta("epoch") ?? ""),
      createdAt: this.getMetaNumber("created_at"),
      updatedAt: this.getMetaNumber("updated_at"),
      tombstone: this.getMetaBytes("tombstone_sv"),
    };
  }

  replication(): ReplicationState {
    return {
      generation: this.getMetaNumber("d1_generation"),
      flushedSeq: this.getMetaNumber("d1_flushed_seq"),
      failures: this.getMetaNumber("d1_failures"),
    };
  }

  recordFlush(written: FlushRecord | null): ReplicationState {
    this.transaction(() => {
      if (!written) return this.bump("d1_failures", 1);
      this.setMeta("d1_generation", written.generation);
      this.bump("d1_flushes", 1);
      this.bump("d1_bytes_total", written.bytes);
      this.setMeta("d1_flushed_seq", written.flushedSeq);
      this.setMeta("d1_failures", 0);
    });
    return this.replication();
  }

  writeTotals(): WriteTotals {
    const totals = {} as WriteTotals;
    for (const key of TOTALS) totals[key] = this.getMetaNumber(key);
    return totals;
  }

  size(): StoreSize {
    const { logRows, logBytes, snapshotBytes } = this;
    const bytes = snapshotBytes + logBytes;
    return { logRows, logBytes, snapshotBytes, bytes, lastSeq: this.nextSeq - 1 };
  }

  quarantined(): QuarantinedRow[] {
    return this.sql
      .exec<{ id: number; source: string; reason: string; bytes: number; at: number }>(
        "SELECT id, source, reason, LENGTH(data) AS bytes, at FROM es_quarantine ORDER BY id",
      )
      .toArray()
      .map((r) => ({ ...r, bytes: r.bytes ?? 0 }));
  }

  private quarantine(source: string, reason: string, data: Uint8Array): QuarantinedRow {
    const at = this.now();
    const row = this.sql
      .exec<{ id: number }>(
        "INSERT INTO es_quarantine (source, reason, data, at) VALUES (?, ?, ?, ?) RETURNING id",
        source,
        reason,
        data,
        at,
      )
      .one();
    return { id: row.id, source, reason, bytes: data.length, at };
  }

  private getMeta(key: MetaKey): SqlStorageValue | undefined {
    const rows = this.sql
      .exec<{ value: SqlStorageValue }>("SELECT value FROM es_meta WHERE key = ?", key)
      .toArray();
    return rows[0]?.value ?? undefined;
  }

  private getMetaNumber(key: MetaKey): number {
    const value = this.getMeta(key);
    return typeof value === "number" ? value : 0;
  }

  private getMetaBytes(key: MetaKey): Uint8Array | null {
    const value = this.getMeta(key);
    return value instanceof ArrayBuffer ? new Uint8Array(value) : null;
  }

  private setMeta(key: MetaKey, value: SqlStorageValue | Uint8Array): void {
    this.sql.exec("INSERT OR REPLACE INTO es_meta (key, value) VALUES (?, ?)", key, value);
  }

  private bump(key: MetaKey, by: number): void {
    this.setMeta(key, this.getMetaNumber(key) + by);
  }
}
