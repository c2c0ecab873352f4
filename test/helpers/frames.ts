// Hand-built protocol frames for tests (valid and deliberately broken).
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { AuthType, HocuspocusType } from "../../protocol/hocuspocus";
import {
  MessageType,
  encodeAwareness,
  encodeAwarenessEntries,
  parseAwarenessUpdate,
} from "../../protocol/messages";

export function awarenessFrame(clientId: number, clock: number, state: unknown): Uint8Array {
  return encodeAwareness(encodeAwarenessEntries([{ clientId, clock, state }]));
}

/** Decodes an awareness message into its entries, or null if it is not one. */
export function readAwareness(message: Uint8Array) {
  const decoder = decoding.createDecoder(message);
  if (decoding.readVarUint(decoder) !== MessageType.Awareness) return null;
  return parseAwarenessUpdate(decoding.readVarUint8Array(decoder));
}

export function isAwarenessFor(
  clientId: number,
  predicate: (state: unknown) => boolean = () => true,
) {
  return (m: Uint8Array) =>
    readAwareness(m)?.some((e) => e.clientId === clientId && predicate(e.state)) ?? false;
}

export function rawFrame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}

/** A Hocuspocus Auth frame from a client: `token` for the document at `address`. */
export function hocuspocusAuth(address: string, token: string): Uint8Array {
  return rawFrame((e) => {
    encoding.writeVarString(e, address);
    encoding.writeVarUint(e, HocuspocusType.Auth);
    encoding.writeVarUint(e, AuthType.Token);
    encoding.writeVarString(e, token);
  });
}
