// What the Durable Object's RPC methods answer: a success value or a failure whose code comes
// from one table, each with its HTTP status. Results are plain objects (they cross the RPC
// boundary); the Worker turns a failure into `{ error: { code, message } }` with that status.
import { CloseCode } from "../../protocol/close-codes";
import type { Role } from "../../protocol/roles";
import type { DocumentStats } from "./document-info";

/** Every error a document RPC may answer: HTTP status and when it happens. */
export const RpcError = {
  invalid_state_vector: {
    status: 400,
    doc: "a state vector (?sv= or HTTP sync's) does not decode",
  },
  invalid_request: {
    status: 400,
    doc: "an RPC call's document id or actor is not valid (see worker/rpc); nothing was done",
  },
  invalid_update: { status: 400, doc: "the bytes are not a Yjs update; nothing was applied" },
  payload_too_large: {
    status: 413,
    doc: "an update is over MAX_MESSAGE_BYTES; nothing was applied",
  },
  forbidden: { status: 403, doc: "a read role sent an update the document does not hold yet" },
  document_not_found: { status: 404, doc: "no such document (reads never create one)" },
  epoch_mismatch: { status: 409, doc: "HTTP sync with the epoch of a deleted incarnation" },
  missing_dependencies: {
    status: 409,
    doc: "the update builds on content the document does not have; that part was not applied",
  },
  document_too_large: {
    status: 413,
    doc: "the update would pass the memory budget (MAX_DOC_HEAP_BYTES), MAX_DOC_BYTES or MAX_DOC_ITEMS; it was not applied",
  },
  d1_not_migrated: {
    status: 500,
    doc: "edgesync's D1 tables are missing: run `wrangler d1 migrations apply <binding> --local` (or `--remote`)",
  },
  document_unavailable: {
    status: 503,
    doc: "the document could not be loaded, or its object could not start; retry later",
  },
  document_damaged: {
    status: 503,
    doc: "the stored snapshot is damaged and no intact copy was found; kept for an operator",
  },
  delete_failed: { status: 503, doc: "deleting from D1 failed; nothing was removed, retry" },
  flush_failed: {
    status: 503,
    doc: "flushing to D1 now (POST /v1/docs/{id}/flush) failed; the document is intact and its alarm retries",
  },
  // ---- history (docs/history.md) ----
  version_not_found: { status: 404, doc: "no version or checkpoint of the document has that id" },
  history_not_retained: {
    status: 410,
    doc: "the time is before the oldest retained history (HISTORY_RETENTION_DAYS) or the document",
  },
  history_disabled: {
    status: 409,
    doc: "history is off on this deployment (HISTORY_RETENTION_DAYS = 0)",
  },
  restore_failed: {
    status: 500,
    doc: "the restore or revert computed did not reproduce the content asked for; nothing changed",
  },
} as const satisfies Record<string, { status: number; doc: string }>;

export type RpcErrorCode = keyof typeof RpcError;

/**
 * How a socket is told of each write refusal that RPC and REST answer with a code: the socket is
 * closed with this code, or (a reader's write) sent a permission-denied message and kept open.
 * One table, so every transport refuses the same writes the same way (admission.ts uses it).
 */
export const WRITE_REFUSAL_ON_SOCKET = {
  invalid_update: CloseCode.ProtocolError,
  payload_too_large: CloseCode.MessageTooBig,
  document_too_large: CloseCode.DocumentTooLarge,
  forbidden: "permission-denied",
  missing_dependencies: "permission-denied",
} as const satisfies Partial<Record<RpcErrorCode, number | "permission-denied">>;
type StatusOf<C extends RpcErrorCode> = (typeof RpcError)[C]["status"];

export type RpcFailure = {
  ok: false;
  status: StatusOf<RpcErrorCode>;
  code: RpcErrorCode;
  message: string;
};
export type RpcResult<T> = ({ ok: true } & T) | RpcFailure;

/** A failure value; `status` is spelled out at the call site and must be the table's. */
export function failure<C extends RpcErrorCode>(
  status: StatusOf<C>,
  code: C,
  message: string,
): RpcFailure {
  return { ok: false, status, code, message };
}

/** `getUpdate`: the document, or what a state vector lacks, as one Yjs update. */
export type UpdateReply = { update: Uint8Array };
/** `getJson`: root types rendered as JSON (see renderJson). */
export type JsonReply = { json: Record<string, unknown> };
/** `postUpdate`: whether the update changed the document, and its state vector after. */
export type WriteReply = { stateVector: Uint8Array; changed: boolean };
/**
 * `httpSync` (POST /v1/docs/:id/sync): what the client lacks, the server's state; `more` when the
 * client asked for pages and this is one part of a larger answer (it asks again for the next).
 */
export type HttpSyncReply = {
  update: Uint8Array;
  stateVector: Uint8Array;
  epoch: string;
  more?: true;
};
/** `info`: the document's operational stats (the Worker answers `documentInfo` of them). */
export type InfoReply = { stats: DocumentStats };
/** `destroy`: the document is gone from DO storage and D1. */
export type DeleteReply = { deleted: true };

/** The RPC methods the Worker calls on a document's Durable Object (which implements this). */
export interface DocumentRpc {
  getUpdate(docId: string, stateVector: Uint8Array | null): Promise<RpcResult<UpdateReply>>;
  getJson(docId: string): Promise<RpcResult<JsonReply>>;
  postUpdate(docId: string, update: Uint8Array, role: Role): Promise<RpcResult<WriteReply>>;
  httpSync(
    docId: string,
    stateVector: Uint8Array,
    update: Uint8Array | null,
    role: Role,
    epoch: string | null,
    paged?: boolean,
  ): Promise<RpcResult<HttpSyncReply>>;
  info(docId: string): Promise<RpcResult<InfoReply>>;
  destroy(docId: string): Promise<RpcResult<DeleteReply>>;
}
