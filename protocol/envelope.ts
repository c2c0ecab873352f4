// The y-websocket envelope (`varUint type`, then a payload) and the frames both sides send:
// sync, awareness and edgesync's saved acknowledgement. Pure; encoding wraps y-protocols' ids.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";

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
  /** edgesync extension: `varString payload`, relayed to the document's other sockets (Hocuspocus stateless). */
  Stateless: 102,
  /**
   * edgesync extension, server to client only: a first sync in parts begins, with the update
   * bytes its sync messages will carry (see PROTOCOL.md).
   */
  Progress: 103,
} as const;

/** Sync sub-types, as in y-protocols/sync. */
export const SyncType = {
  Step1: syncProtocol.messageYjsSyncStep1,
  Step2: syncProtocol.messageYjsSyncStep2,
  Update: syncProtocol.messageYjsUpdate,
} as const;

/** Raised for any frame that does not decode as a complete, valid message. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/**
 * Reads one whole frame with `read`: anything lib0 throws (truncated or overflowing varints, a
 * length prefix past the end) becomes a ProtocolError, and so do bytes left after the message.
 */
export function decodeFrame<T>(frame: Uint8Array, read: (decoder: decoding.Decoder) => T): T {
  const decoder = decoding.createDecoder(frame);
  let message: T;
  try {
    message = read(decoder);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`malformed frame: ${(err as Error).message}`);
  }
  if (decoding.hasContent(decoder)) throw new ProtocolError("trailing bytes after message");
  return message;
}

/** The bytes `write` puts into a fresh encoder. */
export function encodeBytes(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function encodeSync(syncType: number, payload: Uint8Array): Uint8Array {
  return encodeBytes((e) => {
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
  return encodeBytes((e) => {
    encoding.writeVarUint(e, MessageType.Awareness);
    encoding.writeVarUint8Array(e, update);
  });
}

/** The stateless extension `[102, varString payload]`, as sent by a client and relayed. */
export function encodeStateless(payload: string): Uint8Array {
  return encodeBytes((e) => {
    encoding.writeVarUint(e, MessageType.Stateless);
    encoding.writeVarString(e, payload);
  });
}

/** The saved-acknowledgement extension: a counter, sent by clients and echoed by the server. */
export function encodeSaved(counter: number): Uint8Array {
  return encodeBytes((e) => {
    encoding.writeVarUint(e, MessageType.Saved);
    encoding.writeVarUint(e, counter);
  });
}
