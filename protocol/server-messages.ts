// Decoding of frames a client receives from the server (the client side of messages.ts).
// Pure: checks structure only; update bytes are validated when Yjs applies them.
import * as decoding from "lib0/decoding";
import * as authProtocol from "y-protocols/auth";
import { MessageType, ProtocolError, SyncType } from "./messages";

/** A structurally valid message from the server. */
export type ServerMessage =
  | { kind: "sync-step1"; stateVector: Uint8Array }
  | { kind: "sync-step2"; update: Uint8Array }
  | { kind: "sync-update"; update: Uint8Array }
  | { kind: "awareness"; update: Uint8Array }
  | { kind: "query-awareness" }
  | { kind: "permission-denied"; reason: string }
  | { kind: "saved"; counter: number }
  | { kind: "epoch"; epoch: string };

/**
 * Decodes one binary frame from the server.
 * @throws ProtocolError for truncated frames, unknown types or trailing bytes.
 */
export function decodeServerMessage(frame: Uint8Array): ServerMessage {
  const decoder = decoding.createDecoder(frame);
  let message: ServerMessage;
  try {
    message = readMessage(decoder);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`malformed frame: ${(err as Error).message}`);
  }
  if (decoding.hasContent(decoder)) throw new ProtocolError("trailing bytes after message");
  return message;
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
    default:
      throw new ProtocolError(`unknown message type ${type}`);
  }
}
