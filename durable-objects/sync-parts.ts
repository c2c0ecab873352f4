// A large sync step 2 cut into parts: each part a valid Yjs update holding the structs between two
// consistent cuts of the document (every struct's origin, right origin and parent lie below its
// cut), so a client integrates each part as it arrives instead of holding it pending; the last
// part is an ordinary step 2 with the rest and the whole delete set. Yjs cannot encode "up to a
// state vector", so parts are written here from the live document's structs, per client range.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

/**
 * Target size of one part. Stock clients drop a socket that has received no complete message for
 * 30 s (y-websocket's and the Hocuspocus provider's messageReconnectTimeout): at 1 Mbit/s, 256 KiB
 * takes ~2 s, so a part arrives well inside the window even at 1/10 of that speed, while a 50 MB
 * document is still only ~200 messages.
 */
export const SYNC_PART_BYTES = 256 * 1024;

/** A client's clock reached by a cut: structs below it are sent in that part or an earlier one. */
type Cut = Map<number, number>;

/** The parts of one answer: updates to send as sync updates, then the final step 2. */
export interface SyncParts {
  updates: Uint8Array[];
  /** Everything above the last cut, with the delete set: sent as the step 2. */
  final: Uint8Array;
  /** Bytes of all the updates and the final step 2 (what progress is measured against). */
  totalBytes: number;
}

type Struct = Y.Item | Y.GC;

/** One client's structs, walked from the cut the receiver already holds. */
interface Cursor {
  client: number;
  structs: Struct[];
  index: number;
  clock: number;
}

/**
 * Cuts what a peer at `stateVector` lacks into parts of about `partBytes`. Returns null when the
 * document holds no more than one part's worth above it (the caller sends one step 2 as before).
 */
export function splitSync(doc: Y.Doc, stateVector: Uint8Array, partBytes = SYNC_PART_BYTES) {
  const cuts = planCuts(doc, Y.decodeStateVector(stateVector), partBytes);
  if (cuts.length === 0) return null;
  const updates: Uint8Array[] = [];
  let from = startCut(doc, Y.decodeStateVector(stateVector));
  for (const cut of cuts) {
    updates.push(encodeRange(doc, from, cut));
    from = cut;
  }
  const final = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(from));
  const totalBytes = updates.reduce((n, u) => n + u.length, final.length);
  return { updates, final, totalBytes } satisfies SyncParts;
}

/**
 * Only the first part of what a peer at `stateVector` lacks (a page of an HTTP sync: the client
 * applies it and asks again with its new state vector), or null when the rest fits in one part.
 */
export function firstPart(doc: Y.Doc, stateVector: Uint8Array, partBytes = SYNC_PART_BYTES) {
  const has = Y.decodeStateVector(stateVector);
  const [cut] = planCuts(doc, has, partBytes, 1);
  return cut ? encodeRange(doc, startCut(doc, has), cut) : null;
}

/** The receiver's clocks, clamped to what the document holds. */
function startCut(doc: Y.Doc, has: Map<number, number>): Cut {
  const cut: Cut = new Map();
  for (const client of doc.store.clients.keys())
    cut.set(client, Math.min(has.get(client) ?? 0, Y.getState(doc.store, client)));
  return cut;
}

/**
 * Walks the structs in an order that respects their dependencies (per client in clock order, a
 * client waiting while a struct it needs is not yet below the cut) and cuts every `partBytes`.
 * The cuts returned end the parts before the final one; none when everything fits in one part.
 * With `maxCuts`, the walk stops at that many (the rest unplanned).
 */
function planCuts(doc: Y.Doc, has: Map<number, number>, partBytes: number, maxCuts = Infinity) {
  const cursors = new Map<number, Cursor>();
  for (const [client, structs] of doc.store.clients) {
    const clock = Math.min(has.get(client) ?? 0, Y.getState(doc.store, client));
    const index =
      clock < Y.getState(doc.store, client) ? Y.findIndexSS(structs, clock) : structs.length;
    cursors.set(client, { client, structs, index, clock });
  }
  const reached = (id: Y.ID | null) => {
    if (id === null) return true;
    const cursor = cursors.get(id.client);
    return !cursor || id.clock < cursor.clock;
  };
  const cuts: Cut[] = [];
  const waiting = new Map<number, Cursor[]>();
  const ready = [...cursors.values()];
  let size = 0;
  const cut = () => {
    cuts.push(new Map([...cursors].map(([client, c]) => [client, c.clock])));
    size = 0;
  };
  while (ready.length > 0) {
    const cursor = ready.pop()!;
    const startClock = cursor.clock;
    while (cursor.index < cursor.structs.length) {
      const struct = cursor.structs[cursor.index]!;
      const offset = cursor.clock - struct.id.clock;
      const blocker = missingDependency(struct, offset, reached);
      if (blocker) {
        const list = waiting.get(blocker.client) ?? [];
        list.push(cursor);
        waiting.set(blocker.client, list);
        break;
      }
      const remaining = struct.length - offset;
      const bytes = estimateBytes(struct, offset);
      if (size + bytes <= partBytes || (size === 0 && !splittable(struct, remaining))) {
        size += bytes;
        cursor.clock += remaining;
        cursor.index++;
        continue;
      }
      if (splittable(struct, remaining)) {
        const taken = splitPoint(struct, offset, remaining, (partBytes - size) / bytes, size === 0);
        if (taken > 0) cursor.clock += taken;
      }
      cut();
      if (cuts.length >= maxCuts) return cuts;
    }
    if (cursor.clock > startClock) {
      ready.push(...(waiting.get(cursor.client) ?? []));
      waiting.delete(cursor.client);
    }
  }
  // Nothing is left waiting in a document that integrated its structs; if something were, the
  // final step 2 (everything above the last cut) still carries it.
  if (cuts.length === 0) return cuts;
  // A last part that would be tiny goes with the final step 2 instead.
  if (size === 0) cuts.pop();
  return cuts;
}

/** The first struct `struct` (from `offset`) needs that is not below the cut yet, or null. */
function missingDependency(
  struct: Struct,
  offset: number,
  reached: (id: Y.ID | null) => boolean,
): Y.ID | null {
  if (!(struct instanceof Y.Item)) return null;
  if (offset === 0 && !reached(struct.origin)) return struct.origin;
  if (!reached(struct.rightOrigin)) return struct.rightOrigin;
  const parentItem = (struct.parent as Y.AbstractType<unknown> | null)?._item ?? null;
  if (parentItem && !reached(parentItem.id)) return parentItem.id;
  return null;
}

/** Contents Yjs can cut into pieces (a string, JSON values, a deleted range). */
function splittable(struct: Struct, remaining: number): boolean {
  if (remaining < 2 || !(struct instanceof Y.Item)) return false;
  const { content } = struct;
  return (
    content instanceof Y.ContentString ||
    content instanceof Y.ContentAny ||
    content instanceof Y.ContentJSON ||
    content instanceof Y.ContentDeleted
  );
}

/**
 * How much of a splittable struct goes in the current part: the share that fits, never cutting a
 * surrogate pair apart (Yjs would write each half as U+FFFD); at least one unit if the part is empty.
 */
function splitPoint(
  struct: Struct,
  offset: number,
  remaining: number,
  share: number,
  empty: boolean,
): number {
  let taken = Math.min(remaining - 1, Math.floor(remaining * share));
  if (taken <= 0 && !empty) return 0;
  taken = Math.max(taken, 1);
  const content = (struct as Y.Item).content;
  if (content instanceof Y.ContentString) {
    const code = content.str.charCodeAt(offset + taken - 1);
    if (code >= 0xd800 && code <= 0xdbff) taken += taken + 1 < remaining || empty ? 1 : -1;
  }
  return Math.max(0, Math.min(taken, remaining));
}

/** Rough encoded size of a struct from `offset` (identifiers plus content). */
function estimateBytes(struct: Struct, offset: number): number {
  if (!(struct instanceof Y.Item)) return 4;
  const c = struct.content;
  const header = 12;
  if (c instanceof Y.ContentString) return header + utf8Length(c.str, offset);
  if (c instanceof Y.ContentBinary) return header + c.content.length;
  if (c instanceof Y.ContentAny || c instanceof Y.ContentJSON) {
    let n = header;
    const values = c instanceof Y.ContentAny ? c.arr : c.arr;
    for (let i = offset; i < values.length; i++) n += (JSON.stringify(values[i]) ?? "").length + 1;
    return n;
  }
  if (c instanceof Y.ContentEmbed) return header + JSON.stringify(c.embed).length;
  if (c instanceof Y.ContentFormat) return header + c.key.length + JSON.stringify(c.value).length;
  if (c instanceof Y.ContentDoc) return header + (c.doc?.guid.length ?? 0) + 16;
  return header + 4;
}

/** UTF-8 length of `str` from `from` (what lib0's writeVarString writes, less the length). */
function utf8Length(str: string, from: number): number {
  let n = 0;
  for (let i = from; i < str.length; i++) {
    const code = str.charCodeAt(i);
    n += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code <= 0xdbff ? 2 : 3;
  }
  return n;
}

/**
 * Encodes the structs between two cuts as one update (Yjs v1 format, as writeStructs does) with
 * an empty delete set: each client's range [from, to), its first struct written from an offset
 * (its origin then is the unit before, below the cut) and its last one cut to the range's end.
 */
function encodeRange(doc: Y.Doc, from: Cut, to: Cut): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const ranges = [...to].filter(([client, end]) => end > (from.get(client) ?? 0));
  encoding.writeVarUint(encoder.restEncoder, ranges.length);
  for (const [client, end] of ranges.sort((a, b) => b[0] - a[0])) {
    const start = from.get(client) ?? 0;
    const structs = doc.store.clients.get(client)!;
    const first = Y.findIndexSS(structs, start);
    let last = first;
    while (last < structs.length && structs[last]!.id.clock < end) last++;
    encoding.writeVarUint(encoder.restEncoder, last - first);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, start);
    for (let i = first; i < last; i++) {
      const struct = structs[i]!;
      const offset = Math.max(0, start - struct.id.clock);
      const keep = end - struct.id.clock;
      (keep < struct.length ? truncated(struct, keep) : struct).write(encoder, offset);
    }
  }
  encoding.writeVarUint(encoder.restEncoder, 0); // no deletions: the final step 2 has them all
  return encoder.toUint8Array();
}

/** The first `length` units of a struct, as Yjs's own split leaves its left half. */
function truncated(struct: Struct, length: number): Struct {
  if (!(struct instanceof Y.Item)) return new Y.GC(struct.id, length);
  const content = struct.content.copy();
  content.splice(length);
  return new Y.Item(
    struct.id,
    null,
    struct.origin,
    null,
    struct.rightOrigin,
    struct.parent,
    struct.parentSub,
    content,
  );
}
