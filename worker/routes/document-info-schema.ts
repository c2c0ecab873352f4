// The OpenAPI description of GET /v1/docs/:id, on the Worker's side only: the contract holds the
// plain type (`DocumentInfo`), and the check below fails to compile if the two drift apart.
import { z } from "@hono/zod-openapi";
import type { DocumentInfo } from "../../durable-objects/contract";

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

/** True only when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The schema describes exactly the contract's DocumentInfo (a compile error otherwise). */
export const SCHEMA_MATCHES_CONTRACT: Same<z.infer<typeof DocumentInfoSchema>, DocumentInfo> = true;
