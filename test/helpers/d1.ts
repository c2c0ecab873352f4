// Reads a document's D1 rows directly (inside workerd), to compare what replication wrote.
import { env } from "cloudflare:workers";

/** The index row, the chunk rows of every generation, and the chunks joined in order. */
export async function d1Snapshot(docId: string) {
  const doc = await env.DB.prepare("SELECT * FROM documents WHERE id = ?")
    .bind(docId)
    .first<Record<string, number | string>>();
  const { results } = await env.DB.prepare(
    "SELECT generation, chunk, data FROM snapshot_chunks WHERE doc_id = ? ORDER BY generation, chunk",
  )
    .bind(docId)
    .all<{ generation: number; chunk: number; data: ArrayBuffer | number[] }>();
  const parts = results.map((r) => new Uint8Array(r.data)); // D1 returns BLOBs as number arrays
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.length;
  }
  return { doc, chunks: results, bytes };
}
