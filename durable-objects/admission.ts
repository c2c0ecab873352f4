// What the room lets in. A frame: its size, its sender's rate and token expiry, its encoding. A
// write, whether it came on a socket or over HTTP: one verdict (size cap, encoding, the reader
// rule, the document's caps), and how each transport is told of a refusal.
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import {
  decodeClientMessage,
  MessageType,
  ProtocolError,
  validateUpdate,
  type ClientMessage,
} from "../protocol/messages";
import { byteLength, type Budgets } from "./budgets";
import type { RoomLimits } from "./config";
import { canWrite, type Role } from "../protocol/roles";
import type { Connection } from "./connection";
import { WRITE_REFUSAL_ON_SOCKET, type RpcErrorCode } from "./contract";
import type { LoadedDoc } from "./loaded-doc";

/** Why a write is refused; each transport says so its own way (SOCKET_REFUSAL, HTTP_REFUSAL). */
export type RefusalKind =
  "too-big" | "invalid" | "read-only" | "document-too-large" | "missing-dependencies";
export interface Refusal {
  kind: RefusalKind;
  message: string;
}

/**
 * How a socket is told of each refusal: closed with a code, or sent a permission-denied message
 * and kept open (a reader's write; a write that builds on content the document lacks, see
 * parked.ts — closing would only make a stock client reconnect and send it again).
 */
export const SOCKET_REFUSAL: Record<RefusalKind, number | "permission-denied"> = {
  "too-big": WRITE_REFUSAL_ON_SOCKET.payload_too_large,
  invalid: WRITE_REFUSAL_ON_SOCKET.invalid_update,
  "read-only": WRITE_REFUSAL_ON_SOCKET.forbidden,
  "document-too-large": WRITE_REFUSAL_ON_SOCKET.document_too_large,
  "missing-dependencies": WRITE_REFUSAL_ON_SOCKET.missing_dependencies,
};

/** The HTTP status and error code of each refusal. */
export const HTTP_REFUSAL: Record<RefusalKind, RpcErrorCode> = {
  "too-big": "payload_too_large",
  invalid: "invalid_update",
  "read-only": "forbidden",
  "document-too-large": "document_too_large",
  "missing-dependencies": "missing_dependencies",
};

/** An update whose size and encoding passed: by judgeBytes, or decoded with its frame. */
export type CheckedUpdate = Uint8Array & { readonly checked: unique symbol };

/**
 * Where a write came from. "edit": a live update on a socket; "state": a socket's sync step 2;
 * "http": a REST call (its bytes judged first, before the document is even loaded).
 */
export type WriteSource = "edit" | "state" | "http";

/** Judges an update's bytes alone: the size cap, then its encoding (it must decode as Yjs). */
export function judgeBytes(update: Uint8Array, limits: RoomLimits): CheckedUpdate | Refusal {
  const tooBig = sizeRefusal(update.length, limits.maxMessageBytes, "update");
  if (tooBig) return tooBig;
  try {
    validateUpdate(update);
  } catch (err) {
    if (err instanceof ProtocolError) return { kind: "invalid", message: err.message };
    throw err;
  }
  return update as CheckedUpdate;
}

/**
 * The one verdict on a checked write: "apply" it, it holds nothing new and is "unchanged" (a
 * reader's that the document already has), or a refusal. Nothing is applied here; the caller
 * applies "apply" at once (the document caps are checked against the document as it is now).
 */
export function judgeWrite(
  doc: LoadedDoc,
  update: CheckedUpdate,
  role: Role,
  source: WriteSource,
  limits: RoomLimits,
): "apply" | "unchanged" | Refusal {
  if (!canWrite(role)) {
    // Stock clients answer our step 1 with a step 2 even when read-only: refuse only one that
    // holds something the document does not. The check scans the document, so a live edit (a
    // reader's local change, sent again and again) is refused without it.
    const has = source !== "edit" && Y.snapshotContainsUpdate(Y.snapshot(doc.doc), update);
    if (has) return "unchanged";
    const message =
      source === "http"
        ? "a read token cannot change the document"
        : "read-only connection: update not applied";
    return { kind: "read-only", message };
  }
  const tooLarge = doc.growthRefusal(update, limits);
  return tooLarge ? { kind: "document-too-large", message: tooLarge } : "apply";
}

/** The size cap on a frame or an update, before anything decodes it. */
function sizeRefusal(bytes: number, max: number, what: string): Refusal | null {
  return bytes > max
    ? { kind: "too-big", message: `${what} of ${bytes} bytes exceeds ${max}` }
    : null;
}

/** A frame the room will not read, and how its socket is closed. */
export interface FrameRefusal {
  kind: "refused";
  code: number;
  reason: string;
}

/** Checks a frame's size, its sender's rate and token, and its encoding; then decodes it. */
export function admitFrame(
  conn: Connection,
  data: ArrayBuffer | string,
  limits: RoomLimits,
  budgets: Budgets,
  now: number,
): ClientMessage | FrameRefusal {
  const refused = (code: number, reason: string): FrameRefusal => ({
    kind: "refused",
    code,
    reason,
  });
  const bytes = byteLength(data);
  const tooBig = sizeRefusal(bytes, limits.maxMessageBytes, "message");
  if (tooBig) return refused(WRITE_REFUSAL_ON_SOCKET.payload_too_large, tooBig.message);
  // Messages relayed to every socket have caps of their own, checked before they are parsed (the
  // type is the frame's first varint, one byte for both).
  const type = typeof data === "string" ? null : new Uint8Array(data, 0, Math.min(1, bytes))[0];
  const relayCap: [string, number] | null =
    type === MessageType.Awareness
      ? ["awareness", limits.maxAwarenessBytes]
      : type === MessageType.Stateless
        ? ["stateless", limits.maxStatelessBytes]
        : null;
  if (relayCap && bytes > relayCap[1]) {
    return refused(
      CloseCode.MessageTooBig,
      `${relayCap[0]} message of ${bytes} bytes exceeds ${relayCap[1]}`,
    );
  }
  const overBudget = budgets.admit(conn, bytes, relayCap !== null);
  if (overBudget) return refused(CloseCode.RateLimited, overBudget);
  if (tokenExpired(conn, now)) return refused(CloseCode.Unauthenticated, "token expired");
  if (typeof data === "string") {
    // "ping" is answered by the runtime's auto-response and never reaches us.
    return refused(
      CloseCode.ProtocolError,
      "text frames other than ping are not part of the protocol",
    );
  }
  const frame = new Uint8Array(data);
  try {
    return decodeClientMessage(frame);
  } catch (err) {
    if (err instanceof ProtocolError) return refused(CloseCode.ProtocolError, err.message);
    throw err;
  }
}

/** True once the socket's token has expired (never when auth is off). */
export function tokenExpired(conn: Connection, now: number): boolean {
  const { exp } = conn.state;
  return exp !== null && now >= exp * 1000;
}
