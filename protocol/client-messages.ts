// What clients send: the server's fully validating decoder for a client's frames, and the one
// frame only clients send (query awareness). Pure: decoding never applies anything.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { decodeFrame, encodeBytes, MessageType, ProtocolError, SyncType } from "./envelope";
import {
  parseAwarenessUpdate,
  validateStateVector,
  validateUpdate,
  type AwarenessEntry,
} from "./validation";

/** A fully validated message from a client. */
export type ClientMessage =
  | { kind: "sync-step1"; stateVector: Uint8Array }
  | { kind: "sync-step2"; update: Uint8Array }
  | { kind: "sync-update"; update: Uint8Array }
  | { kind: "awareness"; update: Uint8Array; entries: AwarenessEntry[] }
  | { kind: "query-awareness" }
  | { kind: "saved"; counter: number }
  | { kind: "stateless"; payload: string };

/**
 * Decodes and fully validates one binary frame from a client. Never applies anything.
 * @throws ProtocolError for truncated or overflowing varints, unknown types, trailing bytes,
 *   bytes that are not a Yjs update or state vector, or an awareness update that is not JSON.
 */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  return decodeFrame(frame, readMessage);
}

function readMessage(decoder: decoding.Decoder): ClientMessage {
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.Sync: {
      const syncType = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (syncType === SyncType.Step1) {
        validateStateVector(payload);
        return { kind: "sync-step1", stateVector: payload };
      }
      if (syncType === SyncType.Step2 || syncType === SyncType.Update) {
        validateUpdate(payload);
        return {
          kind: syncType === SyncType.Step2 ? "sync-step2" : "sync-update",
          update: payload,
        };
      }
      throw new ProtocolError(`unknown sync message type ${syncType}`);
    }
    case MessageType.Awareness: {
      const update = decoding.readVarUint8Array(decoder);
      return { kind: "awareness", update, entries: parseAwarenessUpdate(update) };
    }
    case MessageType.QueryAwareness:
      return { kind: "query-awareness" };
    case MessageType.Saved:
      return { kind: "saved", counter: decoding.readVarUint(decoder) };
    case MessageType.Stateless:
      return { kind: "stateless", payload: decoding.readVarString(decoder) };
    default:
      throw new ProtocolError(`unknown message type ${type}`);
  }
}

/** A query-awareness message (ask the peer for all awareness states). */
export function encodeQueryAwareness(): Uint8Array {
  return encodeBytes((e) => encoding.writeVarUint(e, MessageType.QueryAwareness));
}
