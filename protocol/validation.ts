// Full validation of the payloads inside frames (Yjs updates, state vectors, awareness
// updates) before anything is applied, and the awareness-entry format the parser reads.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { encodeBytes, ProtocolError } from "./envelope";
import { scanUpdate } from "./update-scan";

/** One entry of an awareness update: a client id, its clock and its JSON state (null = removed). */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: unknown;
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

/** Encodes an awareness update from raw entries (used to announce removals). */
export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  return encodeBytes((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const entry of entries) {
      encoding.writeVarUint(e, entry.clientId);
      encoding.writeVarUint(e, entry.clock);
      encoding.writeVarString(e, JSON.stringify(entry.state));
    }
  });
}
