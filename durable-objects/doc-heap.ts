// The memory model that bounds a document (MAX_DOC_HEAP_BYTES): the heap its loaded Y.Doc costs,
// estimated as its structs times a per-struct cost plus its live content weighted by kind, each
// weight measured (bench/memory-shapes.mjs, docs/limits.md). Kept current from every
// transaction's own structs, so admission never walks the document.
import * as Y from "yjs";
import { STRUCTS_PER_DELETED_RANGE } from "../protocol/update-scan";
import { isDeleted, storeStructs } from "./doc-items";

/**
 * Heap bytes per unit of each kind, measured in workerd (docs/limits.md has the figures and the
 * method), each rounded up and including the unit's share of the one encoded copy a loaded
 * document keeps to answer fresh clients (LoadedDoc.fullState).
 */
export const HEAP_WEIGHTS = {
  /** Every struct of the store (an item, a GC struct, a deleted item's tombstone). */
  struct: 500,
  /** On top of its struct: an embedded shared type (Y.Map, Y.Array, Y.Text, XML, a subdocument). */
  type: 400,
  /** A UTF-16 unit of text, of a map key or of an XML element's name. */
  char: 4,
  /** More for a unit outside Latin-1 (V8 stores such a string with two bytes a unit). */
  wideChar: 2,
  /** A byte of binary content (Uint8Array values). */
  binaryByte: 11,
  /**
   * A node of a JSON/any value: each value (object, array, number, boolean, null, string) and
   * each entry of an object; the text of its strings and keys counts as chars.
   */
  anyNode: 110,
};

/** The estimated heap of a document: exact struct count, content counted as it changes. */
export class HeapEstimate {
  /** Heap of the live content of every item (not the structs), kept by `count`. */
  private content = 0;

  constructor(private readonly doc: Y.Doc) {
    // Before the observers (and before gc drops deleted content): this transaction's new structs
    // and what it deleted are both still whole. Loading is a transaction too: a document's
    // estimate after a load is counted once, from every struct it loaded.
    doc.on("beforeObserverCalls", (transaction: Y.Transaction) => this.count(transaction));
  }

  /** The document's estimated heap in bytes: O(clients). */
  get bytes(): number {
    return storeStructs(this.doc) * HEAP_WEIGHTS.struct + this.content;
  }

  /**
   * What applying `update` can add to the heap at most, from the update alone: what it holds
   * that the store lacks, each struct at its cost with its content, and two structs per deleted
   * range not deleted already (its ends may split items). Splits of existing items at the
   * update's origins are not counted (as for MAX_DOC_ITEMS): one update admitted can pass the
   * budget by two structs per item it holds, and the next is refused. Decodes the update: call
   * it only near the budget.
   */
  added(update: Uint8Array): number {
    const { store } = this.doc;
    const { structs, ds } = Y.decodeUpdate(update);
    let heap = 0;
    for (const struct of structs) {
      if (struct instanceof Y.Skip) continue;
      const { client, clock } = struct.id;
      if (clock + struct.length <= Y.getState(store, client)) continue;
      heap += HEAP_WEIGHTS.struct;
      if (struct instanceof Y.Item) heap += itemHeap(struct) + keyHeap(struct);
    }
    for (const [client, ranges] of ds.clients) {
      const have = store.clients.get(client);
      for (const { clock, len } of ranges) {
        if (!have || !isDeleted(have, clock, clock + len))
          heap += STRUCTS_PER_DELETED_RANGE * HEAP_WEIGHTS.struct;
      }
    }
    return heap;
  }

  /** Counts a transaction: its new items' content in, its deleted items' content out. */
  private count(transaction: Y.Transaction): void {
    const { store } = this.doc;
    for (const [client, after] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0;
      if (after <= before) continue;
      const structs = store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!;
        // A map entry's key stays with its tombstone when it is overwritten: counted once, kept
        // (when Yjs merges a client's successive tombstones of one key, this stays above a load's
        // count by that key until the next load).
        if (struct instanceof Y.Item) this.content += itemHeap(struct) + keyHeap(struct);
      }
    }
    Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
      if (struct instanceof Y.Item) this.content -= itemHeap(struct);
    });
  }
}

/** Heap of a map entry's key (its item keeps it even once deleted). */
function keyHeap(item: Y.Item): number {
  return item.parentSub === null ? 0 : stringHeap(item.parentSub);
}

/**
 * Heap of an item's content (not its struct). Additive over an item's length, so items that
 * Yjs splits or merges later are counted the same: a part deleted takes off what it added.
 */
export function itemHeap(item: Y.Item): number {
  const content = item.content;
  if (content instanceof Y.ContentString) return stringHeap(content.str);
  if (content instanceof Y.ContentAny) return content.arr.reduce((n, v) => n + anyHeap(v), 0);
  if (content instanceof Y.ContentJSON) return content.arr.reduce((n, v) => n + anyHeap(v), 0);
  if (content instanceof Y.ContentBinary) return content.content.length * HEAP_WEIGHTS.binaryByte;
  if (content instanceof Y.ContentEmbed) return anyHeap(content.embed);
  if (content instanceof Y.ContentFormat) return stringHeap(content.key) + anyHeap(content.value);
  if (content instanceof Y.ContentType) {
    const type = content.type as { nodeName?: unknown };
    const name = typeof type.nodeName === "string" ? stringHeap(type.nodeName) : 0;
    return HEAP_WEIGHTS.type + name;
  }
  if (content instanceof Y.ContentDoc) return HEAP_WEIGHTS.type;
  return 0; // ContentDeleted: a tombstone costs its struct alone
}

/** Heap of a string: its UTF-16 units, more for those outside Latin-1. */
function stringHeap(str: string): number {
  let wide = 0;
  for (let i = 0; i < str.length; i++) if (str.charCodeAt(i) > 0xff) wide++;
  return str.length * HEAP_WEIGHTS.char + wide * HEAP_WEIGHTS.wideChar;
}

/**
 * Heap of a JSON/any value: a node for it and for each entry of an object, and its strings (keys
 * included) as chars. Every node is priced as an empty object, the dearest (a number costs less).
 */
export function anyHeap(value: unknown): number {
  const node = HEAP_WEIGHTS.anyNode;
  if (typeof value === "string") return node + stringHeap(value);
  if (value instanceof Uint8Array) return node + value.length * HEAP_WEIGHTS.binaryByte;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + anyHeap(v), node);
  if (value !== null && typeof value === "object") {
    let heap = node;
    for (const [key, v] of Object.entries(value)) heap += node + stringHeap(key) + anyHeap(v);
    return heap;
  }
  return node; // numbers, booleans, null, undefined
}
