// The OpenAPI schemas the REST routes share: errors, the document id parameter, the index entry
// and base64url strings (the document-info schema comes from the contract).
import { z } from "@hono/zod-openapi";
import { RpcError } from "../../durable-objects/contract";
import { DOC_ID_PATTERN, MAX_DOC_ID_LENGTH } from "../doc-id";
import { WorkerError } from "../error-codes";

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .openapi("Error");
/**
 * Statuses every route may answer whatever it does: 500 (a fault of ours, a missing binding, D1
 * not migrated) and 503 (no auth configured, the identity provider's keys unreachable).
 */
const EVERY_ROUTE = [500, 503];
const ERROR_TABLE: Record<string, { status: number; doc: string }> = {
  ...RpcError,
  ...WorkerError,
};

/** "`code`: when; …" for every code answered with `status` (the tables of docs/errors.md). */
function codesOf(status: number): string {
  const codes = Object.entries(ERROR_TABLE).filter(([, e]) => e.status === status);
  return codes.map(([code, { doc }]) => `\`${code}\`: ${doc}`).join("; ") || "error";
}

/** The error responses of a route: `statuses`, and the ones every route may answer. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(
    [...new Set([...statuses, ...EVERY_ROUTE])].map((s) => [
      s,
      { description: codesOf(s), content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );
// The rule itself is enforced by docIdOf (400 invalid_doc_id); here it is only described.
export const IdParam = z.object({
  id: z.string().openapi({
    param: { name: "id", in: "path" },
    description: "document id: letters, digits and . _ ~ : @ -",
    pattern: DOC_ID_PATTERN.source,
    minLength: 1,
    maxLength: MAX_DOC_ID_LENGTH,
    example: "team-42:notes",
  }),
});
export const DocumentSchema = z
  .object({
    id: z.string(),
    epoch: z.string(),
    generation: z.number(),
    encodedSize: z.number(),
    updateCount: z.number(),
    createdAt: z.number(),
    updatedAt: z.number(),
    flushedAt: z.number(),
  })
  .openapi("DocumentIndexEntry");
export const Base64url = z
  .string()
  .openapi({ description: "base64url, no padding", example: "AQKS7q6rCQA" });
