// The y-websocket wire protocol (y-protocols + lib0), byte for byte, plus edgesync's opt-in
// extensions. Pure functions: decoding validates fully, encoding wraps y-protocols.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as authProtocol from "y-protocols/auth";
import { scanUpdate } from "./update-scan";

/** Top-level message types (the envelope's first varUint). */
export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  /** edgesync extension: "saved" acknowledgement counter (see PROTOCOL.md). */
  Saved: 100,
  /** edgesync extension, server to client only: the document's epoch (see PROTOCOL.md). */
  Epoch: 101,
  /** edgesync extension: `varString payload` relayed to the document's other sockets (Hocuspocus stateless). */
  Stateless: 102,
} as const;

/** Sync sub-types, as in y-protocols/sync. */
export const SyncType = {
  Step1: syncProtocol.messageYjsSyncStep1,
  Step2: syncProtocol.messageYjsSyncStep2,
  Update: syncProtocol.messageYjsUpdate,
} as const;

/** One entry of an awareness update: a client id, its clock and its JSON state (null = removed). */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: unknown;
}

/** A fully validated message from a client. */
export type ClientMessage =
  | { kind: "sync-step1"; stateVector: Uint8Array }
  | { kind: "sync-step2"; update: Uint8Array }
  | { kind: "sync-update"; update: Uint8Array }
  | { kind: "awareness"; update: Uint8Array; entries: AwarenessEntry[] }
  | { kind: "query-awareness" }
  | { kind: "saved"; counter: number }
  | { kind: "stateless"; payload: string };

/** Raised for any frame that does not decode as a complete, valid message. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/**
 * Throws ProtocolError unless `update` decodes completely as a Yjs v1 update: what
 * `Y.decodeUpdate` accepts, checked without building the structs (see update-scan.ts), and by
 * `Y.decodeUpdate` itself for updates that hold subdocuments.
 */
export function validateUpdate(update: Uint8Array): void {
  try {
    if (!scanUpdate(update)) Y.decodeUpdate(update);
  } catch (err) {
    throw new ProtocolError(`not a Yjs update: ${(err as Error).message}`);
  }
}

/** Throws ProtocolError unless `sv` decodes completely as a Yjs state vector. */
export function validateStateVector(sv: Uint8Array): void {
  try {
    const decoder = decoding.createDecoder(sv);
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      decoding.readVarUint(decoder);
      decoding.readVarUint(decoder);
    }
    if (decoding.hasContent(decoder)) throw new Error("trailing bytes");
  } catch (err) {
    throw new ProtocolError(`not a state vector: ${(err as Error).message}`);
  }
}

/** Parses an awareness update's entries without applying it. */
export function parseAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state: unknown = JSON.parse(decoding.readVarString(decoder));
    entries.push({ clientId, clock, state });
  }
  if (decoding.hasContent(decoder)) throw new Error("trailing bytes");
  return entries;
}

/**
 * Decodes and fully validates one binary frame from a client. Never applies anything.
 * @throws ProtocolError for truncated or overflowing varints, unknown types, trailing bytes,
 *   bytes that are not a Yjs update or state vector, or an awareness update that is not JSON.
 */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  let message: ClientMessage;
  const decoder = decoding.createDecoder(frame);
  try {
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.Sync: {
        const syncType = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (syncType === SyncType.Step1) {
          validateStateVector(payload);
          message = { kind: "sync-step1", stateVector: payload };
        } else if (syncType === SyncType.Step2 || syncType === SyncType.Update) {
          validateUpdate(payload);
          message = {
            kind: syncType === SyncType.Step2 ? "sync-step2" : "sync-update",
            update: payload,
          };
        } else {
          throw new ProtocolError(`unknown sync message type ${syncType}`);
        }
        break;
      }
      case MessageType.Awareness: {
        const update = decoding.readVarUint8Array(decoder);
        message = { kind: "awareness", update, entries: parseAwarenessUpdate(update) };
        break;
      }
      case MessageType.QueryAwareness:
        message = { kind: "query-awareness" };
        break;
      case MessageType.Saved:
        message = { kind: "saved", counter: decoding.readVarUint(decoder) };
        break;
      case MessageType.Stateless:
        message = { kind: "stateless", payload: decoding.readVarString(decoder) };
        break;
      default:
        throw new ProtocolError(`unknown message type ${type}`);
    }
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`malformed frame: ${(err as Error).message}`);
  }
  if (decoding.hasContent(decoder)) throw new ProtocolError("trailing bytes after message");
  return message;
}

function encode(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function encodeSync(syncType: number, payload: Uint8Array): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, syncType);
    encoding.writeVarUint8Array(e, payload);
  });
}

/** Sync step 1: our state vector, asking the peer for what we lack. */
export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array =>
  encodeSync(SyncType.Step1, stateVector);

/** Sync step 2: the update the peer lacks. */
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array =>
  encodeSync(SyncType.Step2, update);

/** A sync update message carrying one incremental Yjs update. */
export const encodeSyncUpdate = (update: Uint8Array): Uint8Array =>
  encodeSync(SyncType.Update, update);

/** An awareness message wrapping an encoded awareness update. */
export function encodeAwareness(update: Uint8Array): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, MessageType.Awareness);
    encoding.writeVarUint8Array(e, update);
  });
}

/** A query-awareness message (ask the peer for all awareness states). */
export function encodeQueryAwareness(): Uint8Array {
  return encode((e) => encoding.writeVarUint(e, MessageType.QueryAwareness));
}

/** The y-protocols auth message "permission denied" with a reason. */
export function encodePermissionDenied(reason: string): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, MessageType.Auth);
    authProtocol.writePermissionDenied(e, reason);
  });
}

/** The saved-acknowledgement extension: a counter, sent by clients and echoed by the server. */
export function encodeSaved(counter: number): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, MessageType.Saved);
    encoding.writeVarUint(e, counter);
  });
}

/** Encodes an awareness update from raw entries (used to announce removals). */
export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const entry of entries) {
      encoding.writeVarUint(e, entry.clientId);
      encoding.writeVarUint(e, entry.clock);
      encoding.writeVarString(e, JSON.stringify(entry.state));
    }
  });
}

/** The stateless extension `[102, varString payload]`, as sent by a client and relayed. */
export function encodeStateless(payload: string): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, MessageType.Stateless);
    encoding.writeVarString(e, payload);
  });
}

/** The epoch extension `[101, varString epoch]`, sent to clients that opt in with `?ext=1`. */
export function encodeEpoch(epoch: string): Uint8Array {
  return encode((e) => {
    encoding.writeVarUint(e, MessageType.Epoch);
    encoding.writeVarString(e, epoch);
  });
}
