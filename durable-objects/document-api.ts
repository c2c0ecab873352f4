// What the REST API asks of a document, as plain functions over a Room: results are plain
// objects (they cross the RPC boundary), errors are values with an HTTP status and code.
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { validateStateVector } from "../protocol/messages";
import { HTTP_REFUSAL, judgeBytes, type CheckedUpdate, type Refusal } from "./admission";
import type { RoomLimits } from "./config";
import {
  failure,
  RpcError,
  type DocumentStats,
  type Role,
  type RpcFailure,
  type RpcResult,
} from "./contract";
import { DocumentDamagedError, DocumentNotFoundError } from "./document-storage";
import { D1NotMigratedError } from "./storage/d1-record";
import type { Room } from "./room";
import type { DocumentStore } from "./storage/document-store";

/** How a REST call is answered when its document could not be loaded. */
export function loadFailure(err: unknown, docId: string): RpcFailure {
  if (err instanceof DocumentNotFoundError)
    return failure(404, "document_not_found", `document ${docId} does not exist`);
  if (err instanceof D1NotMigratedError) return failure(500, "d1_not_migrated", err.message);
  if (err instanceof DocumentDamagedError) {
    return failure(
      503,
      "document_damaged",
      "the stored document is damaged and no intact copy was found; kept for an operator",
    );
  }
  return failure(503, "document_unavailable", "the document could not be loaded; retry later");
}

/** The close reason of 4412, within a close frame's 123 bytes (the HTTP message is longer). */
const NOT_MIGRATED_REASON =
  "edgesync's D1 tables are missing: run wrangler d1 migrations apply <binding> --local";

/** How a socket is closed when its document could not be served: code and reason. */
export function unavailable(err: unknown): { code: CloseCode; reason: string } {
  if (err instanceof D1NotMigratedError)
    return { code: CloseCode.NotMigrated, reason: NOT_MIGRATED_REASON };
  const reason =
    err instanceof DocumentDamagedError
      ? "document damaged; no intact copy found, kept for an operator"
      : "document unavailable, retry later";
  return { code: CloseCode.DocumentUnavailable, reason };
}

/** HTTP sync with the epoch of a deleted incarnation. */
export const EPOCH_MISMATCH = failure(
  409,
  "epoch_mismatch",
  "the document was deleted and recreated: drop local state, then sync again without epoch",
);

/** Checks a state vector sent by a client. */
export function stateVectorProblem(stateVector: Uint8Array): RpcFailure | null {
  try {
    validateStateVector(stateVector);
    return null;
  } catch (err) {
    return failure(400, "invalid_state_vector", (err as Error).message);
  }
}

/**
 * Judges an update's bytes before its document is loaded, so a refused request creates nothing
 * (the rest of the verdict needs the document: see Room.writeFrom).
 */
export function checkUpdate(update: Uint8Array, limits: RoomLimits): CheckedUpdate | RpcFailure {
  const checked = judgeBytes(update, limits);
  return checked instanceof Uint8Array ? checked : refused(checked);
}

/** The document (or the part a state vector lacks) as one Yjs update. */
export function readUpdate(
  room: Room,
  stateVector: Uint8Array | null,
): RpcResult<{ update: Uint8Array }> {
  return { ok: true, update: Y.encodeStateAsUpdate(room.doc, stateVector ?? undefined) };
}

/**
 * Applies an update from HTTP exactly as a WebSocket update would be (the same verdict; then
 * stored and broadcast). Returns the state vector after it, and whether the document changed.
 */
export function writeUpdate(
  room: Room,
  update: CheckedUpdate,
  role: Role,
): RpcResult<{ changed: boolean; stateVector: Uint8Array }> {
  const written = room.writeFrom("http", update, role);
  if ("kind" in written) return refused(written);
  return { ok: true, changed: written.changed, stateVector: Y.encodeStateVector(room.doc) };
}

/** One-round-trip sync: apply the client's update (if any), return what it lacks. */
export function httpSync(
  room: Room,
  stateVector: Uint8Array,
  update: CheckedUpdate | null,
  role: Role,
): RpcResult<{ update: Uint8Array; stateVector: Uint8Array }> {
  if (update) {
    const written = room.writeFrom("http", update, role);
    if ("kind" in written) return refused(written);
  }
  return {
    ok: true,
    update: Y.encodeStateAsUpdate(room.doc, stateVector),
    stateVector: Y.encodeStateVector(room.doc),
  };
}

function refused(refusal: Refusal): RpcFailure {
  const code = HTTP_REFUSAL[refusal.kind];
  return { ok: false, status: RpcError[code].status, code, message: refusal.message };
}

/** The stats of a loaded document: what its store holds, plus what only the host knows. */
export function documentStats(
  room: Room,
  store: DocumentStore,
  host: Pick<DocumentStats, "connections" | "d1" | "lastLoad" | "batches">,
): DocumentStats {
  const snapshotPending = room.snapshotPending; // read before encodedSize applies it
  const id = store.identity();
  const size = store.size();
  return {
    ...host,
    snapshotPending,
    docId: id.docId ?? "",
    epoch: id.epoch,
    logRows: size.logRows,
    updateCount: size.lastSeq,
    snapshotBytes: size.snapshotBytes,
    encodedBytes: room.encodedSize(),
    createdAt: id.createdAt,
    updatedAt: id.updatedAt || id.createdAt,
    written: { ...store.writeTotals() },
    quarantined: store.quarantined(),
  };
}
