// The document cap that tracks memory: a loaded Y.Doc costs ~500 B of heap per struct in its
// store, whatever their encoded size (bench/memory-shapes.mjs), so MAX_DOC_ITEMS caps structs.
// The current count is exact and cheap; what an update may add is bounded before it is applied,
// cheaply far from the cap and against the store near it.
import * as Y from "yjs";
import { countUpdateStructs, STRUCTS_PER_DELETED_RANGE } from "../protocol/update-scan";

/** Structs in the document's store (items and GC structs of every client): O(clients). */
export function storeStructs(doc: Y.Doc): number {
  let count = 0;
  for (const structs of doc.store.clients.values()) count += structs.length;
  return count;
}

/**
 * Why applying `update` to `doc` could take its store past `max` structs, or null when it
 * cannot. Counted: the exact structs now and what the update adds — each item or GC struct the
 * document does not have, and two per deleted range that is not deleted already (its ends may
 * split items). Nothing parked counts: the room never keeps what Yjs parks (parked.ts). Not
 * counted: splits of existing items at the update's references, which Yjs resolves while
 * applying; so the last update admitted can pass `max` by at most two structs per item it holds,
 * and the next is refused. A document already past `max` (stored before a lower limit) loads as
 * it is and refuses only growth.
 */
export function structLimitRefusal(doc: Y.Doc, update: Uint8Array, max: number): string | null {
  const current = storeStructs(doc);
  // Cheapest first: every struct and deleted range counted takes at least a byte of the update.
  if (current + update.length <= max) return null;
  if (current + (countUpdateStructs(update) ?? Infinity) <= max) return null;
  const added = newStructs(doc.store, update);
  // Nothing new is not growth, even for a document already past the cap.
  if (added === 0 || current + added <= max) return null;
  return `update adding up to ${added} structs to ${current} would pass the document's ${max}-struct limit`;
}

/**
 * True when applying `update` cannot change `doc`: every struct it holds is in the store and
 * every range it deletes is deleted. A stock client's step 2 carries its whole delete set, so
 * without this a document at a cap would refuse every reconnect.
 */
export function addsNothing(doc: Y.Doc, update: Uint8Array): boolean {
  return newStructs(doc.store, update) === 0;
}

/** Structs `update` can add to `store`, leaving out what the store has already (near the cap). */
function newStructs(store: Y.Doc["store"], update: Uint8Array): number {
  const { structs, ds } = Y.decodeUpdate(update);
  let count = 0;
  for (const struct of structs) {
    const { client, clock } = struct.id;
    if (!(struct instanceof Y.Skip) && clock + struct.length > Y.getState(store, client)) count++;
  }
  for (const [client, ranges] of ds.clients) {
    const have = store.clients.get(client);
    for (const { clock, len } of ranges) {
      if (!have || !isDeleted(have, clock, clock + len)) count += STRUCTS_PER_DELETED_RANGE;
    }
  }
  return count;
}

/** Whether every struct of one client's store between clocks `from` and `to` is deleted. */
export function isDeleted(structs: (Y.Item | Y.GC)[], from: number, to: number): boolean {
  const last = structs[structs.length - 1]!;
  if (to > last.id.clock + last.length) return false; // not all known yet
  for (let i = Y.findIndexSS(structs, from); i < structs.length && structs[i]!.id.clock < to; i++) {
    if (!structs[i]!.deleted) return false;
  }
  return true;
}
