// The Hocuspocus wire protocol (@hocuspocus/provider 3.x/4.x): every frame is
// `varString(address) · varUint(type) · payload`, many documents over one socket. Pure functions
// that split, build and translate frames to and from the y-websocket frames of protocol/messages.ts;
// the payloads of sync, awareness and query-awareness are the same bytes in both protocols.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { MessageType as YMessageType, ProtocolError } from "./messages";

/** Hocuspocus message types (packages/server/src/types.ts, `MessageType`). */
export const HocuspocusType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  /** Same payload as Sync, but the receiver does not answer a step 1 with its own step 1. */
  SyncReply: 4,
  Stateless: 5,
  /** Server-internal in Hocuspocus (Redis fan-out); refused from clients, as Hocuspocus does. */
  BroadcastStateless: 6,
  /** Detach one document (either direction), `varString reason` from the server. */
  Close: 7,
  /** Server to client, one per applied update: `varUint 1` (applied) or `0` (refused). */
  SyncStatus: 8,
  /** Connection-level, no address: the single byte `[9]`, answered with `[10]`. */
  Ping: 9,
  Pong: 10,
} as const;

/** Auth sub-types (packages/common/src/auth.ts, `AuthMessageType`). */
export const AuthType = {
  /** Client to server: `varString token` (then, from 4.x, `varString providerVersion`); server to client: "send your token again". */
  Token: 0,
  PermissionDenied: 1,
  Authenticated: 2,
} as const;

/** The Authenticated scope a provider exposes as `authorizedScope`. */
export type AuthorizedScope = "read-write" | "readonly";

/** A frame split into its address, type and the undecoded rest. */
export interface HocuspocusFrame {
  /** `documentName`, or `documentName\0sessionId` from session-aware 4.x providers. */
  address: string;
  type: number;
  payload: Uint8Array;
}

/** `documentName` and optional `sessionId` of an address (packages/common/src/routingKey.ts). */
export function parseAddress(address: string): { documentName: string; sessionId: string | null } {
  const at = address.indexOf("\0");
  return at === -1
    ? { documentName: address, sessionId: null }
    : { documentName: address.slice(0, at), sessionId: address.slice(at + 1) };
}

/** Whether a frame is the connection-level ping or pong (one byte, no address). */
export function connectionLevelType(frame: Uint8Array): number | null {
  return frame.length === 1 &&
    (frame[0] === HocuspocusType.Ping || frame[0] === HocuspocusType.Pong)
    ? frame[0]
    : null;
}

/** Splits a frame; the payload is validated later by whoever consumes it. */
export function decodeFrame(frame: Uint8Array): HocuspocusFrame {
  const decoder = decoding.createDecoder(frame);
  try {
    const address = decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    return { address, type, payload: frame.subarray(decoder.pos) };
  } catch (err) {
    throw new ProtocolError(`malformed Hocuspocus frame: ${(err as Error).message}`);
  }
}

/** Reads an Auth payload from a client: its token (a provider's version may follow; ignored). */
export function decodeClientAuth(payload: Uint8Array): { token: string } {
  const decoder = decoding.createDecoder(payload);
  try {
    const authType = decoding.readVarUint(decoder);
    if (authType !== AuthType.Token) throw new Error(`auth type ${authType} from a client`);
    return { token: decoding.readVarString(decoder) };
  } catch (err) {
    throw new ProtocolError(`malformed auth message: ${(err as Error).message}`);
  }
}

function frame(address: string, type: number, write?: (e: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, address);
  encoding.writeVarUint(encoder, type);
  write?.(encoder);
  return encoding.toUint8Array(encoder);
}

export const encodeAuthenticated = (address: string, scope: AuthorizedScope): Uint8Array =>
  frame(address, HocuspocusType.Auth, (e) => {
    encoding.writeVarUint(e, AuthType.Authenticated);
    encoding.writeVarString(e, scope);
  });

export const encodePermissionDenied = (address: string, reason: string): Uint8Array =>
  frame(address, HocuspocusType.Auth, (e) => {
    encoding.writeVarUint(e, AuthType.PermissionDenied);
    encoding.writeVarString(e, reason);
  });

/** Asks the provider to send its token again (Hocuspocus's `writeTokenSyncRequest`). */
export const encodeTokenRequest = (address: string): Uint8Array =>
  frame(address, HocuspocusType.Auth, (e) => encoding.writeVarUint(e, AuthType.Token));

export const encodeSyncStatus = (address: string, applied: boolean): Uint8Array =>
  frame(address, HocuspocusType.SyncStatus, (e) => encoding.writeVarUint(e, applied ? 1 : 0));

export const encodeClose = (address: string, reason: string): Uint8Array =>
  frame(address, HocuspocusType.Close, (e) => encoding.writeVarString(e, reason));

export const encodeStateless = (address: string, payload: string): Uint8Array =>
  frame(address, HocuspocusType.Stateless, (e) => encoding.writeVarString(e, payload));

export const PONG = new Uint8Array([HocuspocusType.Pong]);

/** Hocuspocus types whose payload is the same bytes as a y-websocket message's. */
const TO_Y_WEBSOCKET: Record<number, number> = {
  [HocuspocusType.Sync]: YMessageType.Sync,
  [HocuspocusType.SyncReply]: YMessageType.Sync,
  [HocuspocusType.Awareness]: YMessageType.Awareness,
  [HocuspocusType.QueryAwareness]: YMessageType.QueryAwareness,
};

/**
 * The y-websocket frame for a client's sync/awareness/query frame (or, given `yType`, any frame
 * whose payload is the same bytes), or null for other types.
 */
export function toYWebsocket(
  message: HocuspocusFrame,
  yType = TO_Y_WEBSOCKET[message.type],
): Uint8Array | null {
  if (yType === undefined) return null;
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, yType);
  encoding.writeUint8Array(encoder, message.payload);
  return encoding.toUint8Array(encoder);
}

/** The sync sub-type of a client's Sync/SyncReply payload (0 step 1, 1 step 2, 2 update). */
export function syncTypeOf(payload: Uint8Array): number {
  try {
    return decoding.readVarUint(decoding.createDecoder(payload));
  } catch {
    throw new ProtocolError("malformed sync message");
  }
}

/** A y-websocket frame from the document, split into its type and the rest. */
export function splitYWebsocket(data: Uint8Array): { type: number; payload: Uint8Array } {
  const decoder = decoding.createDecoder(data);
  const type = decoding.readVarUint(decoder);
  return { type, payload: data.subarray(decoder.pos) };
}

/** A y-websocket frame's payload under an address, as Hocuspocus message `type`. */
export function fromYWebsocket(address: string, type: number, payload: Uint8Array): Uint8Array {
  return frame(address, type, (e) => encoding.writeUint8Array(e, payload));
}
