// What the REST API asks of a document, as plain functions over a Room: results are plain
// objects (they cross the RPC boundary), errors are values with an HTTP status and code.
import * as Y from "yjs";
import { validateStateVector } from "../protocol/messages";
import { HTTP_REFUSAL, judgeBytes, type CheckedUpdate, type Refusal } from "./admission";
import type { RoomLimits } from "./config";
import type { Role } from "./connection";
import { DocumentDamagedError, DocumentNotFoundError, type LoadReport } from "./document-storage";
import type { FlushState } from "./persistence";
import type { Room } from "./room";
import type { QuarantinedRow } from "./storage/document-store";

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

/** How a REST call is answered when its document could not be loaded. */
export function loadFailure(err: unknown, docId: string): ApiFailure {
  if (err instanceof DocumentNotFoundError)
    return failure(404, "document_not_found", `document ${docId} does not exist`);
  if (err instanceof DocumentDamagedError) {
    return failure(
      503,
      "document_damaged",
      "the stored document is damaged and no intact copy was found; kept for an operator",
    );
  }
  return failure(503, "document_unavailable", "the document could not be loaded; retry later");
}

/** Operational facts about a document (GET /v1/docs/:id, and tests). */
export interface DocumentStats {
  docId: string;
  epoch: string;
  connections: number;
  logRows: number;
  updateCount: number;
  snapshotBytes: number;
  encodedBytes: number;
  createdAt: number;
  updatedAt: number;
  d1: FlushState;
  written: Record<string, number>;
  quarantined: QuarantinedRow[];
  lastLoad: LoadReport | null;
  /** A loaded snapshot was still waiting to be applied when these stats were asked for (they apply it). */
  snapshotPending: boolean;
  /** WebSocket frames handled since the object last started, and in how many batches. */
  batches: { count: number; frames: number; largest: number };
}

/** Checks a state vector sent by a client. */
export function stateVectorProblem(stateVector: Uint8Array): ApiFailure | null {
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
export function checkUpdate(update: Uint8Array, limits: RoomLimits): CheckedUpdate | ApiFailure {
  const checked = judgeBytes(update, limits);
  return checked instanceof Uint8Array ? checked : refused(checked);
}

/** The document (or the part a state vector lacks) as one Yjs update. */
export function readUpdate(
  room: Room,
  stateVector: Uint8Array | null,
): ApiResult<{ update: Uint8Array }> {
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
): ApiResult<{ changed: boolean; stateVector: Uint8Array }> {
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
): ApiResult<{ update: Uint8Array; stateVector: Uint8Array }> {
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

function refused(refusal: Refusal): ApiFailure {
  const [status, code] = HTTP_REFUSAL[refusal.kind];
  return failure(status, code, refusal.message);
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
