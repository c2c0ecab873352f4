// D1 as the system of record: the document index and chunked snapshots keyed by
// (document, generation, chunk). Each flush is one batch() — one transaction — that writes the
// new generation and removes older ones, so a reader sees either the old or the new snapshot.
import { CHUNK_BYTES } from "../config";
import { joinChunks, splitChunks } from "./chunks";

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
  };
}

export class D1Record {
  constructor(private readonly db: D1Database) {}

  async get(docId: string): Promise<DocumentRecord | null> {
    const row = await this.db.prepare("SELECT * FROM documents WHERE id = ?").bind(docId).first<DocumentRow>();
    return row ? fromRow(row) : null;
  }

  /** Loads the snapshot of the record's generation; throws if chunks are missing. */
  async loadSnapshot(record: DocumentRecord): Promise<Uint8Array> {
    const { results } = await this.db
      .prepare("SELECT chunk, data FROM snapshot_chunks WHERE doc_id = ? AND generation = ? ORDER BY chunk")
      .bind(record.id, record.generation)
      .all<{ chunk: number; data: ArrayBuffer }>();
    if (results.length !== record.chunkCount || results.some((r, i) => r.chunk !== i)) {
      throw new Error(
        `D1 snapshot of ${record.id} generation ${record.generation} has ${results.length} of ${record.chunkCount} chunks`,
      );
    }
    return joinChunks(results.map((r) => new Uint8Array(r.data)));
  }

  /**
   * Writes `snapshot` as generation `record.generation` and drops older generations, in one
   * transaction. Idempotent: repeating it with the same record rewrites the same rows.
   */
  async flush(record: Omit<DocumentRecord, "chunkCount">, snapshot: Uint8Array): Promise<void> {
    const chunks = splitChunks(snapshot, CHUNK_BYTES);
    const statements: D1PreparedStatement[] = chunks.map((chunk, i) =>
      this.db
        .prepare("INSERT OR REPLACE INTO snapshot_chunks (doc_id, generation, chunk, data) VALUES (?, ?, ?, ?)")
        .bind(record.id, record.generation, i, chunk),
    );
    statements.push(
      this.db
        .prepare(
          `INSERT INTO documents (id, epoch, generation, chunk_count, encoded_size, update_count, flushed_seq, created_at, updated_at, flushed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET epoch = excluded.epoch, generation = excluded.generation,
             chunk_count = excluded.chunk_count, encoded_size = excluded.encoded_size,
             update_count = excluded.update_count, flushed_seq = excluded.flushed_seq,
             updated_at = excluded.updated_at, flushed_at = excluded.flushed_at`,
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
        ),
      this.db
        .prepare("DELETE FROM snapshot_chunks WHERE doc_id = ? AND generation <> ?")
        .bind(record.id, record.generation),
    );
    await this.db.batch(statements);
  }

  /** Removes a document's index row and snapshots. */
  async delete(docId: string): Promise<void> {
    await this.db.batch([
      this.db.prepare("DELETE FROM snapshot_chunks WHERE doc_id = ?").bind(docId),
      this.db.prepare("DELETE FROM documents WHERE id = ?").bind(docId),
    ]);
  }

  /** Lists index rows by id, after `cursor`, optionally under an id prefix. */
  async list(options: { prefix?: string; cursor?: string; limit: number }): Promise<DocumentRecord[]> {
    const prefix = options.prefix ?? "";
    const { results } = await this.db
      .prepare(
        `SELECT * FROM documents WHERE id > ? AND substr(id, 1, ?) = ? ORDER BY id LIMIT ?`,
      )
      .bind(options.cursor ?? "", prefix.length, prefix, options.limit)
      .all<DocumentRow>();
    return results.map(fromRow);
  }
}
