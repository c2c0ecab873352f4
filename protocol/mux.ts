// The /mux wire protocol: many documents over one WebSocket for our own SDK. Every binary frame
// is `varUint(channel) · varUint(kind) · payload`; a channel carries one document's connection,
// and inside it the frames of the one-document protocol (PROTOCOL.md) travel verbatim. Pure
// functions, shared by the Worker relay (worker/mux) and the client (client/sync-client.ts).
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { ProtocolError } from "./messages";

/** Client to server. */
export const MuxClientKind = {
  /** Open a channel: `varString docId · varString query` (the query of `/sync/:docId`). */
  Open: 0,
  /** One binary frame of the one-document protocol, verbatim. */
  Frame: 1,
  /** One text frame (the keep-alive's `ping`), UTF-8. */
  Text: 2,
  /** Close a channel: `varUint code · varString reason`. */
  Close: 3,
} as const;

/** Server to client. */
export const MuxServerKind = {
  /** The document's socket opened (the `open` event of a direct socket). No payload. */
  Opened: 0,
  Frame: 1,
  Text: 2,
  /** The document's socket closed or was refused: `varUint code · varString reason`. */
  Closed: 3,
} as const;

/**
 * Text frames outside any channel: the shared socket's own keep-alive. The client sends
 * `MUX_PING`; the server answers `MUX_PONG`.
 */
export const MUX_PING = "ping";
export const MUX_PONG = "pong";

/** A frame split into channel, kind and the undecoded rest. */
export interface MuxFrame {
  channel: number;
  kind: number;
  payload: Uint8Array;
}

/** Splits a frame; throws ProtocolError when the header is not two varUints. */
export function decodeMuxFrame(frame: Uint8Array): MuxFrame {
  const d = decoding.createDecoder(frame);
  try {
    const channel = decoding.readVarUint(d);
    const kind = decoding.readVarUint(d);
    return { channel, kind, payload: frame.subarray(d.pos) };
  } catch {
    throw new ProtocolError("mux frame header is not varUint channel · varUint kind");
  }
}

/** A frame of `kind` on `channel` carrying `payload` as is. */
export function encodeMuxFrame(channel: number, kind: number, payload?: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, channel);
  encoding.writeVarUint(e, kind);
  if (payload) encoding.writeUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

/** The OPEN frame for `docId`, with the query string a direct socket would carry. */
export function encodeOpen(channel: number, docId: string, query: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, docId);
  encoding.writeVarString(e, query);
  return encodeMuxFrame(channel, MuxClientKind.Open, encoding.toUint8Array(e));
}

export function decodeOpen(payload: Uint8Array): { docId: string; query: string } {
  const d = decoding.createDecoder(payload);
  try {
    const docId = decoding.readVarString(d);
    const query = decoding.readVarString(d);
    if (d.pos !== payload.length) throw new Error("trailing bytes");
    return { docId, query };
  } catch {
    throw new ProtocolError("mux OPEN payload is not varString docId · varString query");
  }
}

/** A close frame (client CLOSE or server CLOSED): `varUint code · varString reason`. */
export function encodeClose(
  channel: number,
  kind: number,
  code: number,
  reason: string,
): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, code);
  encoding.writeVarString(e, reason);
  return encodeMuxFrame(channel, kind, encoding.toUint8Array(e));
}

export function decodeClose(payload: Uint8Array): { code: number; reason: string } {
  const d = decoding.createDecoder(payload);
  try {
    const code = decoding.readVarUint(d);
    const reason = decoding.readVarString(d);
    return { code, reason };
  } catch {
    throw new ProtocolError("mux close payload is not varUint code · varString reason");
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function encodeText(channel: number, kind: number, text: string): Uint8Array {
  return encodeMuxFrame(channel, kind, utf8.encode(text));
}

export function decodeText(payload: Uint8Array): string {
  try {
    return fromUtf8.decode(payload);
  } catch {
    throw new ProtocolError("mux text payload is not UTF-8");
  }
}
