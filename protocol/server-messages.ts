// What servers send: the client's decoder for the server's frames, and the frames only the
// server sends (permission denied, epoch). Pure: the decoder checks structure only; update
// bytes are validated when Yjs applies them.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as authProtocol from "y-protocols/auth";
import { decodeFrame, encodeBytes, MessageType, ProtocolError, SyncType } from "./envelope";

/** A structurally valid message from the server. */
export type ServerMessage =
  | { kind: "sync-step1"; stateVector: Uint8Array }
  | { kind: "sync-step2"; update: Uint8Array }
  | { kind: "sync-update"; update: Uint8Array }
  | { kind: "awareness"; update: Uint8Array }
  | { kind: "query-awareness" }
  | { kind: "permission-denied"; reason: string }
  | { kind: "saved"; counter: number }
  | { kind: "epoch"; epoch: string }
  | { kind: "progress"; parts: number; updateBytes: number };

/**
 * Decodes one binary frame from the server.
 * @throws ProtocolError for truncated frames, unknown types or trailing bytes.
 */
export function decodeServerMessage(frame: Uint8Array): ServerMessage {
  return decodeFrame(frame, readMessage);
}

function readMessage(decoder: decoding.Decoder): ServerMessage {
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.Sync: {
      const syncType = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (syncType === SyncType.Step1) return { kind: "sync-step1", stateVector: payload };
      if (syncType === SyncType.Step2) return { kind: "sync-step2", update: payload };
      if (syncType === SyncType.Update) return { kind: "sync-update", update: payload };
      throw new ProtocolError(`unknown sync message type ${syncType}`);
    }
    case MessageType.Awareness:
      return { kind: "awareness", update: decoding.readVarUint8Array(decoder) };
    case MessageType.QueryAwareness:
      return { kind: "query-awareness" };
    case MessageType.Auth: {
      const authType = decoding.readVarUint(decoder);
      if (authType !== authProtocol.messagePermissionDenied)
        throw new ProtocolError(`unknown auth message type ${authType}`);
      return { kind: "permission-denied", reason: decoding.readVarString(decoder) };
    }
    case MessageType.Saved:
      return { kind: "saved", counter: decoding.readVarUint(decoder) };
    case MessageType.Epoch:
      return { kind: "epoch", epoch: decoding.readVarString(decoder) };
    case MessageType.Progress: {
      const parts = decoding.readVarUint(decoder);
      return { kind: "progress", parts, updateBytes: decoding.readVarUint(decoder) };
    }
    default:
      throw new ProtocolError(`unknown message type ${type}`);
  }
}

/** The y-protocols auth message "permission denied" with a reason. */
export function encodePermissionDenied(reason: string): Uint8Array {
  return encodeBytes((e) => {
    encoding.writeVarUint(e, MessageType.Auth);
    authProtocol.writePermissionDenied(e, reason);
  });
}

/** The epoch extension `[101, varString epoch]`, sent to clients that opt in with `?ext=1`. */
export function encodeEpoch(epoch: string): Uint8Array {
  return encodeBytes((e) => {
    encoding.writeVarUint(e, MessageType.Epoch);
    encoding.writeVarString(e, epoch);
  });
}

/**
 * The progress extension `[103, varUint parts, varUint updateBytes]`, sent to clients that opt in
 * with `?ext=1` before a sync step 2 that comes in parts: `parts` sync messages follow (updates,
 * the step 2 last) carrying `updateBytes` bytes of Yjs updates together.
 */
export function encodeProgress(parts: number, updateBytes: number): Uint8Array {
  return encodeBytes((e) => {
    encoding.writeVarUint(e, MessageType.Progress);
    encoding.writeVarUint(e, parts);
    encoding.writeVarUint(e, updateBytes);
  });
}
