// The struct cap's arithmetic on real Yjs documents: exact count, the bound an update adds, and
// what near the cap is not growth (structs the document has, ranges already deleted).
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { addsNothing, storeStructs, structLimitRefusal } from "./doc-items";

/** Updates of `n` map entries with distinct keys, one update per entry. */
function mapEntries(doc: Y.Doc, from: number, n: number): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const record = (u: Uint8Array) => updates.push(u);
  doc.on("update", record);
  for (let i = from; i < from + n; i++) doc.getMap("m").set(`k${i}`, i);
  doc.off("update", record);
  return updates;
}

describe("storeStructs", () => {
  it("counts every struct of every client, and follows splits and merges", () => {
    const doc = new Y.Doc();
    expect(storeStructs(doc)).toBe(0);
    mapEntries(doc, 0, 10);
    expect(storeStructs(doc)).toBe(10);
    const text = doc.getText("t");
    text.insert(0, "abcdef"); // one item
    expect(storeStructs(doc)).toBe(11);
    text.insert(3, "X"); // splits "abcdef" and adds one
    expect(storeStructs(doc)).toBe(13);
    const other = new Y.Doc();
    other.clientID = doc.clientID + 1;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    expect(storeStructs(other)).toBe(13);
  });
});

describe("structLimitRefusal", () => {
  it("admits updates up to the cap and refuses the first that could pass it", () => {
    const source = new Y.Doc();
    const updates = mapEntries(source, 0, 30);
    const doc = new Y.Doc();
    const max = 20;
    let applied = 0;
    for (const update of updates) {
      if (structLimitRefusal(doc, update, max)) break;
      Y.applyUpdate(doc, update);
      applied++;
    }
    expect(applied).toBe(max);
    expect(storeStructs(doc)).toBe(max);
    expect(structLimitRefusal(doc, updates[max]!, max)).toMatch(
      /adding up to 1 structs to 20 .* 20-struct limit/,
    );
    // One update holding all of them is refused whole in an empty document.
    expect(structLimitRefusal(new Y.Doc(), Y.encodeStateAsUpdate(source), max)).not.toBeNull();
  });

  it("does not count what the document already has, at the cap", () => {
    const doc = new Y.Doc();
    const text = doc.getText("t");
    text.insert(0, "abcdefgh");
    for (let i = 6; i >= 0; i -= 2) text.delete(i, 1); // tombstones: 8 structs
    const full = Y.encodeStateAsUpdate(doc); // its structs and its delete set
    const max = storeStructs(doc);
    expect(max).toBe(8);
    // A client re-sending all of it (or a step 2 carrying its whole delete set) adds nothing.
    expect(structLimitRefusal(doc, full, max)).toBeNull();
    // Also past the cap (a document stored before a lower limit): only growth is refused.
    expect(structLimitRefusal(doc, full, max - 3)).toBeNull();
    // New content is growth: refused at the cap.
    const other = new Y.Doc();
    Y.applyUpdate(other, full);
    const before = Y.encodeStateVector(other);
    other.getText("t").insert(1, "XYZ");
    const grow = Y.encodeStateAsUpdate(other, before);
    expect(structLimitRefusal(doc, grow, max)).not.toBeNull();
    expect(structLimitRefusal(doc, grow, max + 3)).toBeNull();
  });

  it("counts a deletion inside a live item as two structs (it splits the item)", () => {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "hello");
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    const before = Y.encodeStateVector(other);
    other.getText("t").delete(2, 1);
    const deletion = Y.encodeStateAsUpdate(other, before);
    expect(structLimitRefusal(doc, deletion, 2)).not.toBeNull();
    expect(structLimitRefusal(doc, deletion, 3)).toBeNull();
    Y.applyUpdate(doc, deletion);
    expect(storeStructs(doc)).toBe(3); // "he", the deleted "l", "lo"
  });

  it("counts updates with subdocuments through Yjs", () => {
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on("update", (u: Uint8Array) => updates.push(u));
    source.getMap("m").set("sub", new Y.Doc());
    source.getMap("m").set("n", 1);
    const doc = new Y.Doc();
    expect(structLimitRefusal(doc, updates[0]!, 0)).toMatch(/adding up to 1 structs/);
    expect(structLimitRefusal(doc, updates[0]!, 1)).toBeNull();
  });

  it("tells an update that changes nothing (a returning client's step 2) from growth", () => {
    const doc = new Y.Doc();
    const text = doc.getText("t");
    text.insert(0, "hello world");
    text.delete(0, 6); // a delete set every client's step 2 will carry
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(doc));
    const step2 = Y.encodeStateAsUpdate(client, Y.encodeStateVector(doc));
    expect(step2.length).toBeGreaterThan(2); // not the empty update the room skips
    expect(addsNothing(doc, step2)).toBe(true);
    client.getText("t").insert(0, "!");
    expect(addsNothing(doc, Y.encodeStateAsUpdate(client, Y.encodeStateVector(doc)))).toBe(false);
    const deleting = new Y.Doc();
    Y.applyUpdate(deleting, Y.encodeStateAsUpdate(doc));
    deleting.getText("t").delete(0, 1);
    expect(addsNothing(doc, Y.encodeStateAsUpdate(deleting, Y.encodeStateVector(doc)))).toBe(false);
  });
});
