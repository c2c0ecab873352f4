// The OpenAPI schemas of the admin routes (worker/routes/admin.ts): a document's stats with its
// counters, its sockets and presence, and what compaction and flushes answer. The shapes are the
// contract's (durable-objects/contract/admin.ts, metrics.ts).
import { z } from "@hono/zod-openapi";

const FlushStateSchema = z
  .object({
    generation: z.number().describe("the D1 snapshot generation last written (0: never)"),
    flushedSeq: z.number().describe("the last log sequence D1 has"),
    failures: z.number().describe("consecutive failed flushes (0 when healthy)"),
    lastError: z.string().nullable(),
  })
  .openapi("FlushState");

export const DocumentMetricsSchema = z
  .object({
    loads: z.number().describe("loads into memory (starts, wakes after eviction, reloads)"),
    connectionsAccepted: z.number(),
    framesReceived: z.number(),
    updatesStored: z.number(),
    updateBytesStored: z.number(),
    compactions: z.number(),
    d1Flushes: z.number(),
    d1FlushFailures: z.number(),
    refusals: z.record(z.string(), z.number()).describe("by close code or error code"),
    lag: z.object({
      unflushedUpdates: z.number().describe("stored updates D1 does not have yet"),
      unflushedSince: z.number().nullable().describe("since when (ms since the epoch)"),
      uncompactedRows: z.number(),
      uncompactedBytes: z.number(),
    }),
    d1WrittenAt: z.number().describe("when these counters last reached D1 (0: not yet)"),
  })
  .openapi("DocumentMetrics");

const QuarantinedRowSchema = z.object({
  id: z.number(),
  source: z.string(),
  reason: z.string(),
  bytes: z.number(),
  at: z.number(),
});

export const InspectSchema = z
  .object({
    stats: z
      .object({
        docId: z.string(),
        epoch: z.string(),
        connections: z.number(),
        logRows: z.number(),
        updateCount: z.number(),
        snapshotBytes: z.number(),
        encodedBytes: z.number(),
        createdAt: z.number(),
        updatedAt: z.number(),
        d1: FlushStateSchema,
        written: z.record(z.string(), z.number()).describe("write totals to DO storage and D1"),
        quarantined: z.array(QuarantinedRowSchema),
        lastLoad: z.record(z.string(), z.unknown()).nullable(),
        snapshotPending: z.boolean(),
        batches: z.object({ count: z.number(), frames: z.number(), largest: z.number() }),
        metrics: DocumentMetricsSchema,
      })
      .passthrough()
      .describe("the document's operational stats (other features may add fields)"),
    connections: z.array(
      z.object({
        id: z.string(),
        role: z.enum(["read", "write", "admin"]),
        sub: z.string().nullable(),
        exp: z.number().nullable(),
        clientIds: z.array(z.number()),
      }),
    ),
    presence: z.array(z.object({ clientId: z.number(), state: z.unknown() })),
  })
  .openapi("DocumentInspection");

export const PersistSchema = z
  .object({ d1: FlushStateSchema, logRows: z.number(), snapshotBytes: z.number() })
  .openapi("PersistResult");
