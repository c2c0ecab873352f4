// What the REST API asks of a document, as plain functions over a Room: results are plain
// objects (they cross the RPC boundary), errors are values with an HTTP status and code.
import * as Y from "yjs";
import { firstPart } from "../sync-parts";
import { validateStateVector } from "../../protocol/messages";
import { HTTP_REFUSAL, judgeBytes, type CheckedUpdate, type Refusal } from "../admission";
import type { RoomLimits } from "../config";
import {
  failure,
  RpcError,
  type DocumentStats,
  type Role,
  type RpcFailure,
  type RpcResult,
} from "../contract";
import type { Writer } from "../events";
import type { Room } from "../room";
import type { DocumentStore } from "../storage/document-store";

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
 * Applies an update from HTTP or RPC exactly as a WebSocket update would be (the same verdict; then
 * stored and broadcast). Returns the state vector after it, and whether the document changed.
 */
export function writeUpdate(
  room: Room,
  update: CheckedUpdate,
  role: Role,
  writer: Writer,
): RpcResult<{ changed: boolean; stateVector: Uint8Array }> {
  const written = room.writeFrom(writer, update, role);
  if ("kind" in written) return refused(written);
  return { ok: true, changed: written.changed, stateVector: Y.encodeStateVector(room.doc) };
}

/**
 * One-round-trip sync: apply the client's update (if any), return what it lacks. `paged`: a large
 * answer is cut into parts (sync-parts.ts) and only the first is returned, with `more` set; the
 * client applies it and asks again with its new state vector.
 */
export function httpSync(
  room: Room,
  stateVector: Uint8Array,
  update: CheckedUpdate | null,
  role: Role,
  writer: Writer,
  paged = false,
): RpcResult<{ update: Uint8Array; stateVector: Uint8Array; more?: true }> {
  if (update) {
    const written = room.writeFrom(writer, update, role);
    if ("kind" in written) return refused(written);
  }
  const page = paged ? firstPart(room.doc, stateVector) : null;
  if (page)
    return { ok: true, update: page, stateVector: Y.encodeStateVector(room.doc), more: true };
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
  host: Pick<DocumentStats, "connections" | "d1" | "lastLoad" | "batches" | "metrics" | "webhooks">,
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
