import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { applyTxn, loadTrace } from "../test/helpers/trace";
import { splitSync } from "./sync-parts";

/** Two writers interleaving a real trace, plus maps, arrays, emoji and deletions. */
function richDoc(): Y.Doc {
  const trace = loadTrace("automerge-paper");
  const a = new Y.Doc();
  const b = new Y.Doc();
  const sync = () => {
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
  };
  trace.txns.slice(0, 6000).forEach((txn, i) => {
    const doc = i % 500 < 250 ? a : b;
    applyTxn(doc, doc.getText("text"), txn);
    if (i % 250 === 249) sync();
  });
  sync();
  a.getText("emoji").insert(0, "🙂".repeat(3000) + "x" + "😀".repeat(3001));
  const map = b.getMap("map");
  for (let i = 0; i < 200; i++) map.set(`k${i % 50}`, { i, s: "v".repeat(i) });
  const nested = new Y.Map<unknown>();
  map.set("nested", nested);
  nested.set("list", Y.Array.from(Array.from({ length: 3000 }, (_, i) => i)));
  b.getArray("json").insert(
    0,
    Array.from({ length: 2000 }, (_, i) => ({ i, t: "row" })),
  );
  b.getArray("json").delete(100, 500);
  sync();
  return a;
}

/** Applies each part to a fresh doc and checks it integrated on its own (nothing pending). */
function receive(doc: Y.Doc, parts: Uint8Array[]): void {
  for (const part of parts) {
    Y.applyUpdate(doc, part);
    expect(doc.store.pendingStructs).toBeNull();
    expect(doc.store.pendingDs).toBeNull();
  }
}

const contents = (doc: Y.Doc) => ({
  text: doc.getText("text").toString(),
  emoji: doc.getText("emoji").toString(),
  map: doc.getMap("map").toJSON(),
  json: doc.getArray("json").toJSON(),
});

describe("splitSync", () => {
  const server = richDoc();
  const full = Y.encodeStateAsUpdate(server);

  it("cuts a document into parts that each integrate alone and end in the same state", () => {
    const split = splitSync(server, Y.encodeStateVector(new Y.Doc()), 16 * 1024)!;
    expect(split.updates.length).toBeGreaterThan(3);
    // Every part stays near the target (one struct's header may pass it).
    for (const part of split.updates) expect(part.length).toBeLessThan(20 * 1024);
    const client = new Y.Doc();
    receive(client, split.updates);
    receive(client, [split.final]);
    expect(contents(client)).toEqual(contents(server));
    expect(Y.encodeStateVector(client)).toEqual(Y.encodeStateVector(server));
    expect(split.totalBytes).toBe(split.updates.reduce((n, u) => n + u.length, split.final.length));
    // The parts cost about what one step 2 does.
    expect(split.totalBytes).toBeLessThan(full.length * 1.1);
  });

  it("resumes from a client's state vector after some parts", () => {
    const split = splitSync(server, new Uint8Array([0]), 16 * 1024)!;
    const client = new Y.Doc();
    receive(client, split.updates.slice(0, 3));
    const rest = splitSync(server, Y.encodeStateVector(client), 16 * 1024)!;
    const restBytes = rest.updates.reduce((n, u) => n + u.length, rest.final.length);
    expect(restBytes).toBeLessThan(split.totalBytes - split.updates[0]!.length * 2);
    receive(client, rest.updates);
    receive(client, [rest.final]);
    expect(contents(client)).toEqual(contents(server));
  });

  it("leaves a document that fits in one part to the ordinary step 2", () => {
    const small = new Y.Doc();
    small.getText("t").insert(0, "hello");
    expect(splitSync(small, new Uint8Array([0]), 16 * 1024)).toBeNull();
  });

  it("cuts one large struct (a paste) without splitting a surrogate pair", () => {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "a" + "😀".repeat(40_000));
    const split = splitSync(doc, new Uint8Array([0]), 10_001)!;
    expect(split.updates.length).toBeGreaterThan(10);
    const client = new Y.Doc();
    receive(client, [...split.updates, split.final]);
    expect(client.getText("t").toString()).toBe(doc.getText("t").toString());
  });
});
