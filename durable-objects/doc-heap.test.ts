// The heap estimate kept from each transaction agrees with the one counted once at a load, and
// what an update is priced at before it is applied covers what it adds.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { HEAP_WEIGHTS, HeapEstimate } from "./doc-heap";

/** A document with its estimate. */
function tracked(): { doc: Y.Doc; heap: HeapEstimate } {
  const doc = new Y.Doc({ gc: true });
  return { doc, heap: new HeapEstimate(doc) };
}

/** The estimate of `doc`'s state loaded into a fresh document in one transaction. */
function loaded(doc: Y.Doc): number {
  const fresh = tracked();
  Y.applyUpdate(fresh.doc, Y.encodeStateAsUpdate(doc));
  return fresh.heap.bytes;
}

/** Deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random edits of every content kind but deleted shared types (their entries' keys go with
 * them). With `overwrite`, map entries are set again and deleted: their tombstones keep their
 * keys, and Yjs merges a client's successive ones into one struct keeping one key.
 */
function edit(doc: Y.Doc, next: () => number, steps: number, overwrite = true): void {
  const text = doc.getText("t");
  const list = doc.getArray("a");
  const map = doc.getMap("m");
  const pick = (n: number) => Math.floor(next() * n);
  for (let i = 0; i < steps; i++) {
    doc.clientID = 1 + pick(3);
    const r = next();
    if (r < 0.3) text.insert(pick(text.length + 1), next() < 0.2 ? "語x" : "hello ");
    else if (r < 0.45 && text.length > 0) {
      const at = pick(text.length);
      text.delete(at, Math.min(1 + pick(8), text.length - at));
    } else if (r < 0.55 && text.length > 2) text.format(pick(text.length - 1), 2, { bold: true });
    else if (r < 0.6) text.insertEmbed(pick(text.length + 1), { image: `i${i}.png` });
    else if (r < 0.7) list.insert(pick(list.length + 1), [i, { id: i, tags: ["a"] }, "s"]);
    else if (r < 0.75 && list.length > 0) list.delete(pick(list.length));
    else if (r < 0.85) {
      const key = overwrite ? `k${pick(20)}` : `k${i}`;
      map.set(key, next() < 0.5 ? new Uint8Array(pick(64)) : [i]);
    } else if (r < 0.9) map.set(`sub${i}`, new Y.Map());
    else if (overwrite) map.delete(`k${pick(20)}`);
  }
}

describe("the heap estimate", () => {
  it("kept from each transaction equals the one counted at a load", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { doc, heap } = tracked();
      edit(doc, random(seed), 300, false);
      expect(heap.bytes, `seed ${seed}`).toBe(loaded(doc));
    }
  });

  it("with map entries overwritten, is no less than a load's, and not 1 % more", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { doc, heap } = tracked();
      edit(doc, random(seed), 300);
      const atLoad = loaded(doc);
      expect(heap.bytes, `seed ${seed}`).toBeGreaterThanOrEqual(atLoad);
      expect(heap.bytes, `seed ${seed}`).toBeLessThan(atLoad * 1.01);
    }
  });

  it("applied as remote updates, one by one, equals the one counted at a load", () => {
    const source = new Y.Doc({ gc: true });
    const updates: Uint8Array[] = [];
    source.on("update", (u: Uint8Array) => updates.push(u));
    edit(source, random(7), 400, false);
    const { doc, heap } = tracked();
    for (const update of updates) Y.applyUpdate(doc, update);
    expect(heap.bytes).toBe(loaded(doc));
  });

  it("never falls below the load's when shared types are deleted (their entries' keys stay)", () => {
    const { doc, heap } = tracked();
    const map = doc.getMap("m");
    const sub = new Y.Map();
    map.set("sub", sub);
    for (let i = 0; i < 50; i++) sub.set(`key-${i}`, i);
    map.delete("sub");
    expect(heap.bytes).toBeGreaterThanOrEqual(loaded(doc));
  });

  it("prices an update before it is applied at no less than what it adds", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { doc, heap } = tracked();
      const next = random(seed);
      edit(doc, next, 200);
      const remote = new Y.Doc({ gc: true });
      Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
      const before = Y.encodeStateVector(remote);
      edit(remote, next, 50);
      const update = Y.encodeStateAsUpdate(remote, before);
      const priced = heap.added(update);
      const start = heap.bytes;
      Y.applyUpdate(doc, update);
      // Splits of existing items at the update's origins are not priced (doc-heap.ts).
      const splits = 2 * HEAP_WEIGHTS.struct * Y.decodeUpdate(update).structs.length;
      expect(priced + splits, `seed ${seed}`).toBeGreaterThanOrEqual(heap.bytes - start);
      expect(heap.added(update), "nothing new").toBe(0);
    }
  });

  it("counts text outside Latin-1 dearer, and a tombstone as its struct alone", () => {
    const latin = tracked();
    latin.doc.getText("t").insert(0, "é".repeat(1000));
    const wide = tracked();
    wide.doc.getText("t").insert(0, "語".repeat(1000));
    expect(wide.heap.bytes - latin.heap.bytes).toBe(1000 * HEAP_WEIGHTS.wideChar);
    latin.doc.getText("t").delete(0, 1000);
    expect(latin.heap.bytes).toBe(HEAP_WEIGHTS.struct);
  });
});
