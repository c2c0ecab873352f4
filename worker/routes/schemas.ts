// The OpenAPI schemas the REST routes share: errors, the document id parameter, the index entry
// and base64url strings (the document-info schema comes from the contract).
import { z } from "@hono/zod-openapi";
import { RpcError } from "../../durable-objects/contract";
import { DOC_NAME_PLACEHOLDER, DOC_NAME_QUERY, MAX_DOC_NAME_BYTES } from "../../protocol/doc-name";
import { WorkerError } from "../error-codes";
import { ApiError } from "../errors";

/** No C0/C1 control characters or DEL (a JSON Schema pattern, ECMA-262 syntax). */
const DOC_NAME_PATTERN = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$";

/** The routers' validation hook: a request that fails its schema is 400 invalid_request. */
export function validationHook(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  if (result.success) return;
  const issue = result.error?.issues[0];
  throw new ApiError(
    400,
    "invalid_request",
    issue ? `${issue.path.join(".") || "request"}: ${issue.message}` : "invalid request",
  );
}

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
// The rule itself is enforced by docIdOf (400 invalid_doc_id, protocol/doc-name.ts); here it is
// described. maxLength counts characters, so it is the byte limit's loose upper bound.
export const IdParam = z.object({
  id: z.string().openapi({
    param: { name: "id", in: "path" },
    description:
      `document name, percent-encoded (\`%2F\` for a slash in it): any Unicode text up to ` +
      `${MAX_DOC_NAME_BYTES} bytes of UTF-8, without control characters. The names \`.\` and ` +
      `\`..\` cannot travel in a path (URL parsers drop them): send \`${DOC_NAME_PLACEHOLDER}\` ` +
      `here and the name as \`?${DOC_NAME_QUERY}=\`.`,
    pattern: DOC_NAME_PATTERN,
    minLength: 1,
    maxLength: MAX_DOC_NAME_BYTES,
    example: "org/42/Meeting notes",
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
