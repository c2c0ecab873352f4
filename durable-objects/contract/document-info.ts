// The public facts about one document (GET /v1/docs/:id), defined once: the schema below is the
// OpenAPI description, its inferred type is what the route answers, and `documentInfo` computes
// it from the Durable Object's operational stats (`DocumentStats`, the `stats`/`info` RPCs).
import { z } from "@hono/zod-openapi";
import type { LoadReport } from "../document-storage";
import type { FlushState } from "../persistence";
import type { QuarantinedRow } from "../storage/document-store";

const LastLoadSchema = z
  .object({
    source: z.enum(["storage", "d1", "new"]),
    ms: z.number(),
    deferred: z.boolean(),
    recovered: z
      .object({
        from: z.literal("d1"),
        generation: z.number(),
        lostSeqs: z.array(z.number()).nullable(),
      })
      .nullable()
      .describe(
        "the stored snapshot was damaged and the document was rebuilt from this D1 generation plus the intact log",
      ),
  })
  .nullable()
  .describe(
    "how the Durable Object last loaded the document; deferred: its snapshot was left to be applied when first needed",
  );

const BatchesSchema = z
  .object({ count: z.number(), frames: z.number(), largest: z.number() })
  .describe(
    "WebSocket frames handled since the Durable Object last started, in how many batches, and the largest",
  );

const WrittenSchema = z
  .record(z.string(), z.number())
  .describe("cumulative bytes and operations written to DO storage and D1");

export const DocumentInfoSchema = z.object({
  id: z.string(),
  epoch: z.string(),
  encodedSize: z.number(),
  updateCount: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  generation: z.number(),
  connections: z.number(),
  quarantinedRows: z.number(),
  written: WrittenSchema,
  batches: BatchesSchema,
  lastLoad: LastLoadSchema,
  snapshotPending: z
    .boolean()
    .describe("the loaded snapshot was still waiting to be applied (this request applied it)"),
});

export type DocumentInfo = z.infer<typeof DocumentInfoSchema>;

/** Operational facts about a document as the Durable Object keeps them (tests, operators). */
export interface DocumentStats {
  docId: string;
  epoch: string;
  connections: number;
  logRows: number;
  updateCount: number;
  snapshotBytes: number;
  encodedBytes: number;
  createdAt: number;
  updatedAt: number;
  d1: FlushState;
  written: DocumentInfo["written"];
  quarantined: QuarantinedRow[];
  /** How the document was last loaded; its `recovered.lostSeqs` pair arrives over RPC as an array. */
  lastLoad:
    | (Omit<LoadReport, "recovered"> & Pick<NonNullable<DocumentInfo["lastLoad"]>, "recovered">)
    | null;
  /** A loaded snapshot was still waiting to be applied when these stats were asked for (they apply it). */
  snapshotPending: boolean;
  /** WebSocket frames handled since the object last started, and in how many batches. */
  batches: DocumentInfo["batches"];
}

/** The public info of document `id` (only the fields the schema names: nothing internal leaks). */
export function documentInfo(id: string, stats: DocumentStats): DocumentInfo {
  const { lastLoad } = stats;
  return {
    id,
    epoch: stats.epoch,
    encodedSize: stats.encodedBytes,
    updateCount: stats.updateCount,
    createdAt: stats.createdAt,
    updatedAt: stats.updatedAt,
    generation: stats.d1.generation,
    connections: stats.connections,
    quarantinedRows: stats.quarantined.length,
    written: stats.written,
    batches: stats.batches,
    lastLoad: lastLoad && {
      source: lastLoad.source,
      ms: lastLoad.ms,
      deferred: lastLoad.deferred,
      recovered: lastLoad.recovered,
    },
    snapshotPending: stats.snapshotPending,
  };
}
