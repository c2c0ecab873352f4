// dropParked on real Yjs documents: what Yjs parks is taken out, and only deletions of a deleted
// incarnation's content are dropped without a refusal.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { dropParked } from "./parked";

/** A document with "hello" typed in two updates, the second alone depending on the first. */
function twoUpdates() {
  const source = new Y.Doc();
  const updates: Uint8Array[] = [];
  source.on("update", (u: Uint8Array) => updates.push(u));
  source.getText("t").insert(0, "he");
  source.getText("t").insert(2, "llo");
  return { source, first: updates[0]!, second: updates[1]! };
}

describe("dropParked", () => {
  it("takes out structs whose predecessors are missing and says which clock they need", () => {
    const { source, second } = twoUpdates();
    const doc = new Y.Doc();
    Y.applyUpdate(doc, second);
    expect(doc.store.pendingStructs).not.toBeNull();
    // "he" holds clocks 0 and 1: "llo" follows clock 1.
    expect(dropParked(doc, null)).toMatch(`clock 1 of client ${source.clientID}`);
    expect(doc.store.pendingStructs).toBeNull();
    expect(Y.encodeStateAsUpdate(doc)).toEqual(Y.encodeStateAsUpdate(new Y.Doc()));
    expect(dropParked(doc, null)).toBeNull(); // nothing left
  });

  it("refuses deletions of content the document lacks, unless a deleted incarnation held it", () => {
    const { source, first } = twoUpdates();
    const old = new Y.Doc();
    Y.applyUpdate(old, first);
    const tombstone = Y.encodeStateVector(old); // "he" belonged to the deleted incarnation
    const before = Y.encodeStateVector(source);
    source.getText("t").delete(0, 1);
    const deletion = Y.encodeStateAsUpdate(source, before);
    const recreated = new Y.Doc();
    Y.applyUpdate(recreated, deletion);
    expect(dropParked(recreated, tombstone)).toBeNull();
    expect(recreated.store.pendingDs).toBeNull();
    Y.applyUpdate(recreated, deletion);
    expect(dropParked(recreated, null)).toMatch(/deletes content/);
    source.getText("t").delete(2, 1); // "l", past the tombstone: could still arrive
    Y.applyUpdate(recreated, Y.encodeStateAsUpdate(source, before));
    expect(dropParked(recreated, tombstone)).toMatch(/deletes content/);
  });
});
