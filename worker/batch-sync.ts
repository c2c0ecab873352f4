// Batch HTTP sync (POST /v1/sync): many documents' state vectors and updates in one request, each
// document authorised and checked in the Worker before any Durable Object is touched, then synced
// through the same Durable Object call as POST /v1/docs/:id/sync, a bounded number at a time,
// and each result streamed out as soon as its update is stored.
import type { Context } from "hono";
import { SETTINGS } from "../config/settings";
import { decodeBase64url, encodeBase64url } from "../protocol/base64url";
import type { AppEnv } from "./app";
import { authOf, authenticate } from "./auth";
import { tokenOf } from "./auth/create-auth";
import { docNameProblem } from "../protocol/doc-name";
import { callDocument } from "./documents";
import type { BatchLimits } from "./batch-limits";
import { ApiError } from "./errors";
import type { Role } from "./tokens";

/**
 * Most documents one request may name (BATCH_SYNC_MAX_DOCS). Each costs the Worker one Durable
 * Object call, a subrequest: Cloudflare allows 1,000 subrequests to its own services (Durable
 * Objects, KV, D1) per invocation on every plan, so 200 stays well inside with room to spare.
 */
export const DEFAULT_BATCH_MAX_DOCS = SETTINGS.BATCH_SYNC_MAX_DOCS.default;
/**
 * Largest request body in bytes (BATCH_SYNC_MAX_BYTES). The Worker holds the body, its parsed
 * JSON and the decoded updates at once (~3× this) in an isolate of 128 MB.
 */
export const DEFAULT_BATCH_MAX_BYTES = SETTINGS.BATCH_SYNC_MAX_BYTES.default;
/**
 * Durable Object calls a batch has in flight at once. Each finished result is held until the
 * client reads it (the response streams with backpressure), so this bounds the Worker's memory
 * to about this many documents' diffs.
 */
export const BATCH_CONCURRENCY = 8;

/** One document of a batch request, as the JSON body names it (already shape-checked). */
export interface BatchDocumentInput {
  id: string;
  stateVector: string;
  update?: string | undefined;
  epoch?: string | undefined;
  token?: string | undefined;
  /** Answer in pages (one part with `more`), as POST /v1/docs/:id/sync with `paged`. */
  paged?: boolean | undefined;
}

/** A document that passed every check in the Worker and is ready for its Durable Object. */
interface Ready {
  id: string;
  stateVector: Uint8Array;
  update: Uint8Array | null;
  epoch: string | null;
  role: Role;
  paged: boolean;
}

/** A document's own refusal; the rest of the batch carries on. */
export interface DocFailure {
  id: string;
  status: number;
  error: { code: string; message: string };
}

const refuse = (id: string, status: number, code: string, message: string): DocFailure => ({
  id,
  status,
  error: { code, message },
});

/** Decides each document's role: its own token if it has one, else the request's token. */
type DocAuthoriser = (id: string, ownToken: string | undefined) => Promise<Role | DocFailure>;

/**
 * Authenticates the request itself before its body is read: with auth on, it must carry a valid
 * token (any document's), so an unauthenticated client cannot make the Worker read a body.
 */
export async function batchAuthoriser(c: Context<AppEnv>): Promise<DocAuthoriser> {
  const auth = authOf(c);
  const request = c.req.raw;
  const requestToken = tokenOf(request);
  await auth.authenticate(request, { anyDocument: true }); // throws 401/503 before the body
  // Each document is asked about, also without a token: an `authorize` hook decides per document
  // (open access grants admin to each). A document with a token of its own is asked about as if that token came with the request.
  return async (id, ownToken) => {
    try {
      const grant = await authenticate(auth, id, ownToken || requestToken, request);
      return grant.role;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return refuse(id, err.status, err.code, err.message);
    }
  };
}

/** Refuses a batch naming more documents than allowed, before its shape is even checked. */
export function checkCount(count: number, limits: BatchLimits): void {
  if (count > limits.maxDocs)
    throw new ApiError(
      413,
      "too_many_documents",
      `${count} documents in one request; at most ${limits.maxDocs} (BATCH_SYNC_MAX_DOCS)`,
    );
}

/** Refuses a batch naming a document twice (its results could not be told apart). */
export function checkDistinct(documents: BatchDocumentInput[]): void {
  const seen = new Set<string>();
  for (const { id } of documents) {
    if (seen.has(id))
      throw new ApiError(400, "invalid_request", `document ${id} appears more than once`);
    seen.add(id);
  }
}

/**
 * The Worker's cheap checks on a document: id, authorisation, base64url and the size cap. Whether
 * its bytes decode is judged by the Durable Object, before it loads or creates anything.
 */
async function prepare(
  input: BatchDocumentInput,
  authorise: DocAuthoriser,
  maxUpdateBytes: number,
): Promise<Ready | DocFailure> {
  const { id } = input;
  const problem = docNameProblem(id);
  if (problem) return refuse(id, 400, "invalid_doc_id", problem);
  const role = await authorise(id, input.token);
  if (typeof role !== "string") return role;
  let stateVector: Uint8Array;
  try {
    stateVector = decodeBase64url(input.stateVector);
  } catch (err) {
    return refuse(id, 400, "invalid_state_vector", (err as Error).message);
  }
  let update: Uint8Array | null = null;
  if (input.update !== undefined) {
    try {
      update = decodeBase64url(input.update);
    } catch (err) {
      return refuse(
        id,
        400,
        "invalid_update",
        `update is not base64url: ${(err as Error).message}`,
      );
    }
    if (update.length > maxUpdateBytes)
      return refuse(
        id,
        413,
        "payload_too_large",
        `update of ${update.length} bytes exceeds ${maxUpdateBytes}`,
      );
  }
  return { id, stateVector, update, epoch: input.epoch ?? null, role, paged: input.paged === true };
}

/**
 * Checks every document, then syncs those that passed, BATCH_CONCURRENCY at a time, streaming
 * `{"results":[…]}` in the order documents finish. A success is written only after its Durable
 * Object answered, and its answer is held by the object's output gate until the update is stored.
 */
export async function runBatch(
  c: Context<AppEnv>,
  documents: BatchDocumentInput[],
  authorise: DocAuthoriser,
  maxUpdateBytes: number,
): Promise<Response> {
  const prepared = await Promise.all(documents.map((d) => prepare(d, authorise, maxUpdateBytes)));
  const stream = new TransformStream<Uint8Array, Uint8Array>();
  const writer = stream.writable.getWriter();
  const encoder = new TextEncoder();
  let separator = "";
  const emit = (entry: object) => {
    const chunk = separator + JSON.stringify(entry);
    separator = ",";
    return writer.write(encoder.encode(chunk));
  };
  const ready = prepared.filter((p): p is Ready => !("error" in p));
  const produce = async () => {
    await writer.write(encoder.encode('{"results":['));
    for (const p of prepared) if ("error" in p) await emit(p);
    let next = 0;
    const lane = async () => {
      while (next < ready.length) {
        const doc = ready[next++]!;
        await emit(await syncOne(c, doc));
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, ready.length) }, lane));
    await writer.write(encoder.encode("]}"));
    await writer.close();
  };
  produce().catch((err: Error) => {
    // The client went away (its results stop here) or a write failed: end the stream.
    console.error(`edgesync: batch sync response ended early: ${err.message}`);
    writer.abort(err).catch(() => {});
  });
  return new Response(stream.readable, {
    status: 200,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

async function syncOne(c: Context<AppEnv>, doc: Ready): Promise<object> {
  const { id } = doc;
  try {
    const result = await callDocument(
      c,
      id,
      async (stub) =>
        await stub.httpSync(id, doc.stateVector, doc.update, doc.role, doc.epoch, doc.paged),
    );
    if (!result.ok) return refuse(id, result.status, result.code, result.message);
    return {
      id,
      status: 200,
      update: encodeBase64url(result.update),
      stateVector: encodeBase64url(result.stateVector),
      epoch: result.epoch,
      ...(result.more ? { more: true } : {}),
    };
  } catch (err) {
    console.error(`edgesync: batch sync of ${id} failed: ${(err as Error).stack ?? err}`);
    return refuse(id, 500, "internal_error", "internal server error");
  }
}
