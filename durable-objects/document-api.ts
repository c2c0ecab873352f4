// What the REST API asks of a document, as plain functions over a Room: results are plain
// objects (they cross the RPC boundary), errors are values with an HTTP status and code.
import * as Y from "yjs";
import { ProtocolError, validateStateVector, validateUpdate } from "../protocol/messages";
import { canWrite, type Role } from "./connection";
import { DocumentTooLargeError, type Room } from "./room";

export type ApiFailure = {
  ok: false;
  status: 400 | 403 | 404 | 409 | 413 | 503;
  code: string;
  message: string;
};
export type ApiResult<T> = ({ ok: true } & T) | ApiFailure;

export const failure = (
  status: ApiFailure["status"],
  code: string,
  message: string,
): ApiFailure => ({
  ok: false,
  status,
  code,
  message,
});

/** The document (or the part a state vector lacks) as one Yjs update. */
export function readUpdate(
  room: Room,
  stateVector: Uint8Array | null,
): ApiResult<{ update: Uint8Array }> {
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
): ApiResult<{ changed: boolean }> {
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

/** One-round-trip sync: apply the client's update (if any), return what it lacks. */
export function httpSync(
  room: Room,
  stateVector: Uint8Array,
  update: Uint8Array | null,
  role: Role,
  origin: unknown,
): ApiResult<{ update: Uint8Array; stateVector: Uint8Array }> {
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

/** Renders root types as JSON: text → string, map → object, array → array, XML → string. */
export function renderJson(doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of doc.share) out[name] = renderType(doc, name, type);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types root types this way
function renderType(doc: Y.Doc, name: string, type: Y.AbstractType<any>): unknown {
  if (type instanceof Y.Text) return type.toString();
  if (type instanceof Y.Map) return type.toJSON();
  if (type instanceof Y.Array) return type.toJSON();
  if (type instanceof Y.XmlFragment) return type.toString();
  // A root type no local code has asked for yet: infer its kind from its content.
  if (type._start === null) return type._map.size > 0 ? doc.getMap(name).toJSON() : null;
  for (let item: Y.Item | null = type._start; item !== null; item = item.right) {
    const content = item.content;
    if (
      content instanceof Y.ContentString ||
      content instanceof Y.ContentFormat ||
      content instanceof Y.ContentEmbed
    ) {
      return doc.getText(name).toString();
    }
    if (content instanceof Y.ContentType) {
      const inner = content.type;
      if (
        inner instanceof Y.XmlElement ||
        inner instanceof Y.XmlText ||
        inner instanceof Y.XmlHook
      ) {
        return doc.getXmlFragment(name).toString();
      }
    }
    if (!item.deleted) break;
  }
  return doc.getArray(name).toJSON();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
