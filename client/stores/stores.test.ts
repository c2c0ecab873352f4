import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { OfflineStore } from "../types";
import { KeyValueStore } from "./key-value";
import { MemoryStore } from "./memory";

function mapStorage(sync = false) {
  const map = new Map<string, string>();
  const storage = sync
    ? {
        getItem: (k: string) => map.get(k) ?? null,
        setItem: (k: string, v: string) => void map.set(k, v),
        removeItem: (k: string) => void map.delete(k),
      }
    : {
        getItem: async (k: string) => map.get(k) ?? null,
        setItem: async (k: string, v: string) => void map.set(k, v),
        removeItem: async (k: string) => void map.delete(k),
      };
  return { map, storage };
}

function textOf(updates: Uint8Array[]): string {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getText("t").toString();
}

/** Some real Yjs updates: one per inserted word. */
function edits(words: string[]): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  for (const w of words) doc.getText("t").insert(doc.getText("t").length, w);
  return { doc, updates };
}

const stores: [string, () => OfflineStore][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["KeyValueStore (async storage)", () => new KeyValueStore(mapStorage().storage)],
  ["KeyValueStore (sync storage)", () => new KeyValueStore(mapStorage(true).storage)],
];

describe.each(stores)("%s", (_name, make) => {
  it("appends, replaces, keeps meta and clears per document", async () => {
    const store = make();
    const { doc, updates } = edits(["a", "b", "c"]);
    for (const u of updates) await store.append("d1", u);
    await store.append("d2", edits(["other"]).updates[0]!);
    expect(textOf((await store.load("d1")).updates)).toBe("abc");

    await store.replace("d1", Y.encodeStateAsUpdate(doc));
    const after = await store.load("d1");
    expect(after.updates).toHaveLength(1);
    expect(textOf(after.updates)).toBe("abc");

    await store.setMeta("d1", { epoch: "e1" });
    await store.setMeta("d1", { unsaved: true });
    expect((await store.load("d1")).meta).toEqual({ epoch: "e1", unsaved: true });

    await store.clear("d1");
    expect(await store.load("d1")).toEqual({ updates: [], meta: {} });
    expect(textOf((await store.load("d2")).updates)).toBe("other");
  });
});

describe("KeyValueStore", () => {
  it("survives a new instance over the same storage (an app restart)", async () => {
    const { storage } = mapStorage();
    const { updates } = edits(["x", "y"]);
    const first = new KeyValueStore(storage);
    for (const u of updates) await first.append("d", u);
    await first.setMeta("d", { unsaved: true });
    const second = new KeyValueStore(storage);
    const loaded = await second.load("d");
    expect(textOf(loaded.updates)).toBe("xy");
    expect(loaded.meta).toEqual({ unsaved: true });
    await second.append("d", edits(["z"]).updates[0]!);
    expect((await new KeyValueStore(storage).load("d")).updates).toHaveLength(3);
  });

  it("never reads back keys left over by an interrupted compaction after a clear", async () => {
    const { map, storage } = mapStorage();
    const { doc, updates } = edits(["old", "er"]);
    const store = new KeyValueStore(storage, { prefix: "p" });
    for (const u of updates) await store.append("d", u);
    const leftovers = [...map].filter(([k]) => k.startsWith("p:d:u:"));
    await store.replace("d", Y.encodeStateAsUpdate(doc));
    for (const [k, v] of leftovers) map.set(k, v); // the deletes after compaction never ran
    await store.clear("d");
    await store.append("d", edits(["new"]).updates[0]!);
    expect(textOf((await new KeyValueStore(storage, { prefix: "p" }).load("d")).updates)).toBe(
      "new",
    );
  });
});
