// A check that bytes decode as a Yjs v1 update, without building the structs. `Y.decodeUpdate`
// builds an object for every struct, content and deletion; for a keystroke that was ~4.6 µs of
// the ~23 µs a Durable Object spends per message (bench/profile.mjs), and it only ever answered
// "does this decode". This walks the same bytes with the same lib0 reads, in the same order and
// with the same branch conditions as Yjs 13's `lazyStructReaderGenerator`, `readItemContent`
// and `readDeleteSet`, so it accepts exactly what `Y.decodeUpdate` accepts
// (protocol/update-scan.test.ts compares the two on every truncation and thousands of mutations
// of real updates, and on every info byte and type ref).
import * as decoding from "lib0/decoding";

/** Item info bits (Yjs `binary.BIT6/7/8`): parentSub, right origin, origin. */
const HAS_PARENT_SUB = 0b0010_0000;
const HAS_RIGHT_ORIGIN = 0b0100_0000;
const HAS_ORIGIN = 0b1000_0000;
const CONTENT_REF = 0b0001_1111;
const SKIP = 10;

/** Yjs type refs that carry a name (YXmlElement, YXmlHook); refs above the last are unknown. */
const XML_ELEMENT = 3;
const XML_HOOK = 5;
const LAST_TYPE_REF = 6;

/**
 * Reads one update from `update`. Returns true when it decodes, false when it holds content this
 * scan leaves to Yjs (a subdocument, whose options Yjs checks by creating a Y.Doc). Throws what
 * lib0 throws for truncated or overflowing reads, and an Error for what Yjs would not accept.
 * Like `Y.decodeUpdate`, it ignores bytes after the delete set.
 */
export function scanUpdate(update: Uint8Array): boolean {
  return walkUpdate(update) !== null;
}

/**
 * How many structs applying `update` can add to a document's store, as far as the update alone
 * tells: one per item or GC struct (skips add none) and two per deleted range (a range that
 * starts and ends inside items splits each). Items that reference the middle of an existing
 * item split it too (at most two per item); that needs the store, so it is not counted here.
 * Null when the update holds a subdocument (count those with Yjs); throws as `scanUpdate` does.
 */
export function countUpdateStructs(update: Uint8Array): number | null {
  return walkUpdate(update);
}

/** Structs a deleted range can add: the items at both of its ends may be split. */
export const STRUCTS_PER_DELETED_RANGE = 2;

/** The scan behind `scanUpdate` and `countUpdateStructs`: the count, or null for a subdocument. */
function walkUpdate(update: Uint8Array): number | null {
  let count = 0;
  const d = decoding.createDecoder(update);
  const clients = decoding.readVarUint(d);
  for (let i = 0; i < clients; i++) {
    const structs = decoding.readVarUint(d);
    decoding.readVarUint(d); // client
    decoding.readVarUint(d); // first clock
    for (let j = 0; j < structs; j++) {
      // Unchecked like Yjs's readInfo: past the end it is undefined, which takes the GC branch,
      // whose length read then throws.
      const info = decoding.readUint8(d);
      if (info === SKIP) {
        decoding.readVarUint(d);
        continue;
      }
      const ref = info & CONTENT_REF;
      count++;
      if (ref === 0) {
        decoding.readVarUint(d); // GC length
        continue;
      }
      const cantCopyParentInfo = (info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0;
      if ((info & HAS_ORIGIN) === HAS_ORIGIN) readId(d);
      if ((info & HAS_RIGHT_ORIGIN) === HAS_RIGHT_ORIGIN) readId(d);
      if (cantCopyParentInfo) {
        if (decoding.readVarUint(d) === 1)
          decoding.readVarString(d); // root type name
        else readId(d); // parent item
      }
      if (cantCopyParentInfo && (info & HAS_PARENT_SUB) === HAS_PARENT_SUB)
        decoding.readVarString(d);
      if (!scanContent(d, ref)) return null;
    }
  }
  const dsClients = decoding.readVarUint(d);
  for (let i = 0; i < dsClients; i++) {
    decoding.readVarUint(d); // client
    const deletes = decoding.readVarUint(d);
    for (let j = 0; j < deletes; j++) {
      decoding.readVarUint(d); // clock
      decoding.readVarUint(d); // length
      count += STRUCTS_PER_DELETED_RANGE;
    }
  }
  return count;
}

function readId(d: decoding.Decoder): void {
  decoding.readVarUint(d);
  decoding.readVarUint(d);
}

/** Reads one item's content as Yjs's `contentRefs[ref]` does; false for a subdocument. */
function scanContent(d: decoding.Decoder, ref: number): boolean {
  switch (ref) {
    case 1: // ContentDeleted
      decoding.readVarUint(d);
      return true;
    case 2: {
      // ContentJSON: strings that Yjs JSON.parses, except "undefined"
      const n = decoding.readVarUint(d);
      for (let i = 0; i < n; i++) {
        const s = decoding.readVarString(d);
        if (s !== "undefined") JSON.parse(s);
      }
      return true;
    }
    case 3: // ContentBinary
      decoding.readVarUint8Array(d);
      return true;
    case 4: // ContentString
      decoding.readVarString(d);
      return true;
    case 5: // ContentEmbed
      JSON.parse(decoding.readVarString(d));
      return true;
    case 6: // ContentFormat: key, then JSON value
      decoding.readVarString(d);
      JSON.parse(decoding.readVarString(d));
      return true;
    case 7: {
      // ContentType
      const typeRef = decoding.readVarUint(d);
      if (typeRef > LAST_TYPE_REF) throw new Error(`unknown type ref ${typeRef}`);
      if (typeRef === XML_ELEMENT || typeRef === XML_HOOK) decoding.readVarString(d);
      return true;
    }
    case 8: {
      // ContentAny
      const n = decoding.readVarUint(d);
      for (let i = 0; i < n; i++) decoding.readAny(d);
      return true;
    }
    case 9: // ContentDoc: left to Y.decodeUpdate
      return false;
    default:
      throw new Error(`unknown content ref ${ref}`);
  }
}
