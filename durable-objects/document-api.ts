// What the REST API asks of a document, as plain functions over a Room: results are the
// contract's RPC results (plain objects that cross the RPC boundary, errors from its code table).
import * as Y from "yjs";
import { ProtocolError, validateStateVector, validateUpdate } from "../protocol/messages";
import { canWrite, type Role } from "../protocol/roles";
import { failure, type HttpSyncReply, type RpcResult, type UpdateReply } from "./contract";
import { DocumentTooLargeError, type Room } from "./room";

/** The document (or the part a state vector lacks) as one Yjs update. */
export function readUpdate(room: Room, stateVector: Uint8Array | null): RpcResult<UpdateReply> {
  if (stateVector) {
    try {
      validateStateVector(stateVector);
    } catch (err) {
      return failure(400, "invalid_state_vector", (err as Error).message);
    }
  }
  return { ok: true, update: Y.encodeStateAsUpdate(room.doc, stateVector ?? undefined) };
}

/**
 * Applies an update from HTTP exactly as a WebSocket update would be (validated, size-capped,
 * stored, broadcast). Read roles may send only what the document already has.
 */
export function writeUpdate(
  room: Room,
  update: Uint8Array,
  role: Role,
  origin: unknown,
): RpcResult<{ changed: boolean }> {
  try {
    validateUpdate(update);
  } catch (err) {
    return failure(400, "invalid_update", (err as ProtocolError).message);
  }
  if (!canWrite(role)) {
    if (Y.snapshotContainsUpdate(Y.snapshot(room.doc), update)) return { ok: true, changed: false };
    return failure(403, "forbidden", "a read token cannot change the document");
  }
  const before = Y.encodeStateVector(room.doc);
  try {
    room.applyUpdate(update, origin);
  } catch (err) {
    if (err instanceof DocumentTooLargeError)
      return failure(413, "document_too_large", err.message);
    throw err;
  }
  return { ok: true, changed: !equalBytes(before, Y.encodeStateVector(room.doc)) };
}

/** HTTP sync (one round trip): apply the client's update (if any), return what it lacks. */
export function httpSync(
  room: Room,
  stateVector: Uint8Array,
  update: Uint8Array | null,
  role: Role,
  origin: unknown,
): RpcResult<Omit<HttpSyncReply, "epoch">> {
  try {
    validateStateVector(stateVector);
  } catch (err) {
    return failure(400, "invalid_state_vector", (err as Error).message);
  }
  if (update) {
    const written = writeUpdate(room, update, role, origin);
    if (!written.ok) return written;
  }
  return {
    ok: true,
    update: Y.encodeStateAsUpdate(room.doc, stateVector),
    stateVector: Y.encodeStateVector(room.doc),
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
