// D1 as the system of record: the document index and chunked snapshots keyed by
// (document, generation, chunk). Each flush is one batch() — one transaction — that writes the
// new generation and removes older ones, so a reader sees either the old or the new snapshot.
import { CHUNK_BYTES } from "../config";
import { joinChunks, splitChunks } from "./chunks";
import { crc32 } from "./crc32";

export interface DocumentRecord {
  id: string;
  epoch: string;
  generation: number;
  chunkCount: number;
  encodedSize: number;
  updateCount: number;
  flushedSeq: number;
  createdAt: number;
  updatedAt: number;
  flushedAt: number;
  /** CRC-32 of the whole snapshot; null for generations written before checksums. */
  snapshotCrc32: number | null;
  /** State vector of the snapshot; null for generations written before it was kept. */
  stateVector: Uint8Array | null;
}

interface DocumentRow {
  id: string;
  epoch: string;
  generation: number;
  chunk_count: number;
  encoded_size: number;
  update_count: number;
  flushed_seq: number;
  created_at: number;
  updated_at: number;
  flushed_at: number;
  snapshot_crc32: number | null;
  state_vector: ArrayBuffer | number[] | null;
}

function fromRow(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    epoch: row.epoch,
    generation: row.generation,
    chunkCount: row.chunk_count,
    encodedSize: row.encoded_size,
    updateCount: row.update_count,
    flushedSeq: row.flushed_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    flushedAt: row.flushed_at,
    snapshotCrc32: row.snapshot_crc32 ?? null,
    // D1 returns BLOBs as arrays of numbers.
    stateVector: row.state_vector ? new Uint8Array(row.state_vector) : null,
  };
}

/**
 * D1 answered "no such table": edgesync's migrations were never applied to this database. No
 * retry can fix that, so it is an error of its own (`d1_not_migrated`, close code 4412) whose
 * message says what to run, never "retry later".
 */
export class D1NotMigratedError extends Error {
  override name = "D1NotMigratedError";
  constructor(readonly table: string) {
    super(
      `edgesync's D1 tables are missing (no such table: ${table}): apply its migrations with ` +
        "`wrangler d1 migrations apply <binding> --local` (--remote when deployed), <binding> " +
        "being the D1 binding edgesync uses",
    );
  }
}

const NO_SUCH_TABLE = /no such table: (\w+)/;

/** Runs a D1 call; a missing table becomes D1NotMigratedError, anything else passes through. */
async function d1<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const missing = NO_SUCH_TABLE.exec(String((err as Error)?.message ?? err));
    throw missing ? new D1NotMigratedError(missing[1]!) : err;
  }
}

export class D1Record {
  constructor(private readonly db: D1Database) {}

  async get(docId: string): Promise<DocumentRecord | null> {
    const row = await d1(() =>
      this.db.prepare("SELECT * FROM documents WHERE id = ?").bind(docId).first<DocumentRow>(),
    );
    return row ? fromRow(row) : null;
  }

  /** Loads the snapshot of the record's generation; throws if chunks are missing or damaged. */
  async loadSnapshot(record: DocumentRecord): Promise<Uint8Array> {
    const { results } = await d1(() =>
      this.db
        .prepare(
          "SELECT chunk, data FROM snapshot_chunks WHERE doc_id = ? AND generation = ? ORDER BY chunk",
        )
        .bind(record.id, record.generation)
        .all<{ chunk: number; data: ArrayBuffer }>(),
    );
    if (results.length !== record.chunkCount || results.some((r, i) => r.chunk !== i)) {
      throw new Error(
        `D1 snapshot of ${record.id} generation ${record.generation} has ${results.length} of ${record.chunkCount} chunks`,
      );
    }
    const snapshot = joinChunks(results.map((r) => new Uint8Array(r.data)));
    if (record.snapshotCrc32 !== null && crc32(snapshot) !== record.snapshotCrc32) {
      throw new Error(
        `D1 snapshot of ${record.id} generation ${record.generation} fails its checksum`,
      );
    }
    return snapshot;
  }

  /**
   * Writes `snapshot` as generation `record.generation` and drops older generations, in one
   * transaction. Idempotent: repeating it with the same record rewrites the same rows.
   */
  async flush(
    record: Omit<DocumentRecord, "chunkCount" | "snapshotCrc32">,
    snapshot: Uint8Array,
  ): Promise<void> {
    const chunks = splitChunks(snapshot, CHUNK_BYTES);
    const statements: D1PreparedStatement[] = chunks.map((chunk, i) =>
      this.db
        .prepare(
          "INSERT OR REPLACE INTO snapshot_chunks (doc_id, generation, chunk, data) VALUES (?, ?, ?, ?)",
        )
        .bind(record.id, record.generation, i, chunk),
    );
    statements.push(
      this.db
        .prepare(
          `INSERT INTO documents (id, epoch, generation, chunk_count, encoded_size, update_count, flushed_seq, created_at, updated_at, flushed_at, snapshot_crc32, state_vector)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET epoch = excluded.epoch, generation = excluded.generation,
             chunk_count = excluded.chunk_count, encoded_size = excluded.encoded_size,
             update_count = excluded.update_count, flushed_seq = excluded.flushed_seq,
             updated_at = excluded.updated_at, flushed_at = excluded.flushed_at,
             snapshot_crc32 = excluded.snapshot_crc32, state_vector = excluded.state_vector`,
        )
        .bind(
          record.id,
          record.epoch,
          record.generation,
          chunks.length,
          record.encodedSize,
          record.updateCount,
          record.flushedSeq,
          record.createdAt,
          record.updatedAt,
          record.flushedAt,
          crc32(snapshot),
          record.stateVector,
        ),
      this.db
        .prepare("DELETE FROM snapshot_chunks WHERE doc_id = ? AND generation <> ?")
        .bind(record.id, record.generation),
    );
    await d1(() => this.db.batch(statements));
  }

  /** Removes a document's index row and snapshots. */
  async delete(docId: string): Promise<void> {
    await d1(() =>
      this.db.batch([
        this.db.prepare("DELETE FROM snapshot_chunks WHERE doc_id = ?").bind(docId),
        this.db.prepare("DELETE FROM documents WHERE id = ?").bind(docId),
      ]),
    );
  }

  /** Lists index rows by id, after `cursor`, optionally under an id prefix. */
  async list(options: {
    prefix?: string;
    cursor?: string;
    limit: number;
  }): Promise<DocumentRecord[]> {
    const prefix = options.prefix ?? "";
    const { results } = await d1(() =>
      this.db
        .prepare(
          `SELECT * FROM documents WHERE id > ? AND substr(id, 1, ?) = ? ORDER BY id LIMIT ?`,
        )
        // SQLite's substr counts characters (code points); JS's length counts UTF-16 units.
        .bind(options.cursor ?? "", [...prefix].length, prefix, options.limit)
        .all<DocumentRow>(),
    );
    return results.map(fromRow);
  }

  /**
   * Writes a document's counters (JSON, see DocumentCounterRow) beside its index row; a document
   * not flushed yet has no row, and then nothing is written (its first flush is followed by this).
   */
  async writeMetrics(docId: string, counters: DocumentCounterRow, at: number): Promise<void> {
    await d1(() =>
      this.db
        .prepare("UPDATE documents SET metrics = ?, metrics_at = ? WHERE id = ?")
        .bind(JSON.stringify(counters), at, docId)
        .run(),
    );
  }

  /** Sums over every document of the index: its columns and the counters each last wrote. */
  async metricTotals(): Promise<MetricTotals> {
    const sum = (field: keyof DocumentCounterRow) =>
      `COALESCE(SUM(json_extract(metrics, '$.${field}')), 0) AS ${field}`;
    const fields = COUNTER_FIELDS.map(sum).join(", ");
    const totals = await d1(() =>
      this.db
        .prepare(
          `SELECT COUNT(*) AS documents, COALESCE(SUM(encoded_size), 0) AS encodedBytes,
             COALESCE(SUM(metrics IS NOT NULL), 0) AS reporting, ${fields} FROM documents`,
        )
        .first<Omit<MetricTotals, "refusals">>(),
    );
    const { results } = await d1(() =>
      this.db
        .prepare(
          `SELECT r.key AS code, SUM(r.value) AS n FROM documents, json_each(documents.metrics, '$.refusals') AS r
           GROUP BY r.key ORDER BY r.key`,
        )
        .all<{ code: string; n: number }>(),
    );
    return { ...totals!, refusals: Object.fromEntries(results.map((r) => [r.code, r.n])) };
  }
}

/** A document's counters as D1 keeps them (the `metrics` column, JSON; migrations/0003). */
export interface DocumentCounterRow {
  loads: number;
  connections: number;
  frames: number;
  updates: number;
  updateBytes: number;
  compactions: number;
  flushes: number;
  flushFailures: number;
  quarantined: number;
  refusals: Record<string, number>;
}

const COUNTER_FIELDS = [
  "loads",
  "connections",
  "frames",
  "updates",
  "updateBytes",
  "compactions",
  "flushes",
  "flushFailures",
  "quarantined",
] as const satisfies (keyof DocumentCounterRow)[];

/** Totals across the documents of the index (GET /v1/metrics). */
export type MetricTotals = Omit<DocumentCounterRow, "refusals"> & {
  documents: number;
  encodedBytes: number;
  /** Documents whose row carries counters (a row flushed before migration 0003 has none). */
  reporting: number;
  refusals: Record<string, number>;
};
