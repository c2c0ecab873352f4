// POST /v1/sync — batch HTTP sync: one request syncs many documents (a mobile app woken in the
// background syncs all its changed documents in one round trip). Each document gets its own
// result or error; see worker/batch-sync.ts for the rules and PROTOCOL.md for the format.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app";
import { batchAuthoriser, checkCount, checkDistinct, runBatch } from "../batch-sync";
import { readBody, requireJson } from "../body";
import { ApiError } from "../errors";
import { settingsOf } from "../settings";

export const batchSync = new OpenAPIHono<AppEnv>();

const Base64url = z.string().openapi({ description: "base64url, no padding" });
const ErrorBody = z.object({ code: z.string(), message: z.string() });

const BatchDocument = z
  .object({
    id: z.string().describe("document name, as given (checked per document: 400 invalid_doc_id)"),
    stateVector: Base64url.describe("the client's state vector of this document"),
    update: Base64url.optional().describe(
      "the client's pending update (write tokens; read tokens only if it holds nothing new)",
    ),
    epoch: z
      .string()
      .optional()
      .describe("the epoch the client last synced with; 409 for this document if it was deleted"),
    token: z
      .string()
      .optional()
      .describe("this document's own token; without it the request's token must cover it"),
    paged: z
      .boolean()
      .optional()
      .describe(
        "answer this document in pages of about 256 KiB: while its result says `more`, apply " +
          "its update and name it again with the new state vector (no update)",
      ),
  })
  .openapi("BatchSyncDocument");
const BatchRequest = z
  .object({ documents: z.array(BatchDocument).min(1) })
  .openapi("BatchSyncRequest");

const Synced = z
  .object({
    id: z.string(),
    status: z.literal(200),
    update: Base64url.describe("what the client lacks"),
    stateVector: Base64url.describe("the server's state vector, after the client's update"),
    epoch: z.string(),
    more: z
      .boolean()
      .optional()
      .describe("true: a page of a paged sync; name the document again for the next"),
  })
  .openapi("BatchSyncResult");
const Refused = z
  .object({
    id: z.string(),
    status: z.number().int().describe("the HTTP status the per-document endpoint would answer"),
    error: ErrorBody,
  })
  .openapi("BatchSyncFailure");

batchSync.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/sync",
  summary: "Batch HTTP sync: many documents in one round trip (read or write, per document)",
  description:
    "Every document is checked and authorised before any is synced; each is answered on its own. " +
    "Results stream in the order documents finish; match them by id. A result with status 200 " +
    "means the document's update is stored. The request needs a valid token (any document's); " +
    "a document's own `token` overrides it for that document.",
  request: {
    body: { content: { "application/json": { schema: BatchRequest } }, required: true },
  },
  responses: {
    200: {
      description: "one result per document",
      content: {
        "application/json": {
          schema: z
            .object({ results: z.array(z.union([Synced, Refused])) })
            .openapi("BatchSyncResponse"),
        },
      },
    },
    ...Object.fromEntries(
      [400, 401, 403, 413, 415, 500, 503].map((status) => [
        status,
        {
          description:
            status === 413
              ? "too_many_documents (over BATCH_SYNC_MAX_DOCS) or payload_too_large (body over BATCH_SYNC_MAX_BYTES); nothing synced"
              : "the whole request is refused; nothing synced",
          content: { "application/json": { schema: z.object({ error: ErrorBody }) } },
        },
      ]),
    ),
  },
});

batchSync.post("/v1/sync", async (c) => {
  const authorise = await batchAuthoriser(c);
  requireJson(c);
  const limits = settingsOf(c).batchLimits(c.env);
  const body = await readBody(c, limits.maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw new ApiError(400, "invalid_request", `the body is not JSON: ${(err as Error).message}`);
  }
  // Counted before the shape is checked, so an oversized batch costs no validation.
  const listed = (json as { documents?: unknown } | null)?.documents;
  if (Array.isArray(listed)) checkCount(listed.length, limits);
  const parsed = BatchRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError(
      400,
      "invalid_request",
      `${issue.path.join(".") || "body"}: ${issue.message}`,
    );
  }
  checkDistinct(parsed.data.documents);
  return runBatch(c, parsed.data.documents, authorise, settingsOf(c).maxMessageBytes(c.env));
});
