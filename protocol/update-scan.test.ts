// scanUpdate must accept exactly what Y.decodeUpdate accepts: compared on real updates of every
// kind of content, on every truncation of them, on seeded random mutations and on every info byte.
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { applyTxn, loadTrace } from "../test/helpers/trace";
import { ProtocolError } from "./envelope";
import { validateUpdate } from "./validation";
import { countUpdateStructs, scanUpdate, STRUCTS_PER_DELETED_RANGE } from "./update-scan";

type Verdict = "ok" | "bad" | "defer";

function yjsVerdict(update: Uint8Array): Verdict {
  try {
    Y.decodeUpdate(update);
    return "ok";
  } catch {
    return "bad";
  }
}

function scanVerdict(update: Uint8Array): Verdict {
  try {
    return scanUpdate(update) ? "ok" : "defer";
  } catch {
    return "bad";
  }
}

/** Compares the two on `update`; returns the scan's verdict and, if they differ, a description. */
function compare(update: Uint8Array): { scan: Verdict; disagreement: string | null } {
  const scan = scanVerdict(update);
  if (scan === "defer") return { scan, disagreement: null };
  const yjs = yjsVerdict(update);
  const hex = Buffer.from(update).toString("hex").slice(0, 200);
  return { scan, disagreement: scan === yjs ? null : `scan ${scan}, Yjs ${yjs}: ${hex}` };
}

/** Updates covering every struct and content kind Yjs writes, plus hand-made legacy JSON content. */
function corpus(): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const doc = new Y.Doc({ gc: true });
  doc.on("update", (u: Uint8Array) => updates.push(u));
  const text = doc.getText("text");
  text.insert(0, "hello wörld 👋");
  text.format(0, 5, { bold: true });
  text.insertEmbed(3, { image: "x.png" });
  text.delete(2, 4); // deletions, and GC structs in the full state below
  const map = doc.getMap("map");
  map.set("n", 42);
  map.set("f", 1.5);
  map.set("big", 2n ** 60n);
  map.set("s", "str");
  map.set("obj", { a: [1, null, true, "x"], b: { c: false } });
  map.set("nil", null);
  map.set("bin", new Uint8Array([1, 2, 3]));
  map.set("nested", new Y.Map());
  map.set("sub", new Y.Doc({ guid: "sub-doc" })); // ContentDoc: left to Yjs
  const array = doc.getArray("array");
  array.push([1, "two", { three: 3 }]);
  array.push([new Y.Array(), new Y.Text("t")]);
  array.delete(0, 1);
  const xml = doc.getXmlFragment("xml");
  const element = new Y.XmlElement("p");
  element.setAttribute("class", "c");
  xml.insert(0, [element, new Y.XmlText("text")]);
  array.push([new Y.XmlHook("hook")]); // a named type, like XmlElement
  element.insert(0, [new Y.XmlText("inner")]);
  updates.push(Y.encodeStateAsUpdate(doc));

  // A real editing session: keystroke updates and the whole state.
  const trace = loadTrace("automerge-paper");
  const typed = new Y.Doc();
  typed.on("update", (u: Uint8Array) => updates.push(u));
  for (const txn of trace.txns.slice(0, 300)) applyTxn(typed, typed.getText("t"), txn);
  updates.push(Y.encodeStateAsUpdate(typed));

  // Skip structs: a merge of two updates from one client with a gap between them.
  const gappy = new Y.Doc();
  const parts: Uint8Array[] = [];
  gappy.on("update", (u: Uint8Array) => parts.push(u));
  for (const s of ["a", "b", "c"]) gappy.getText("t").insert(0, s);
  updates.push(Y.mergeUpdates([parts[0]!, parts[2]!]));

  // Legacy ContentJSON (ref 2), which current Yjs reads but no longer writes.
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // one client
  encoding.writeVarUint(e, 1); // one struct
  encoding.writeVarUint(e, 7); // client
  encoding.writeVarUint(e, 0); // clock
  encoding.writeUint8(e, 2); // info: ContentJSON, no origins
  encoding.writeVarUint(e, 1); // parent is a root type…
  encoding.writeVarString(e, "legacy"); // …named "legacy"
  encoding.writeVarUint(e, 3);
  for (const s of ['{"a":1}', "undefined", "[1,2]"]) encoding.writeVarString(e, s);
  encoding.writeVarUint(e, 0); // empty delete set
  updates.push(encoding.toUint8Array(e));
  return updates;
}

/** Seeded PRNG (mulberry32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(update: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(update);
  const at = Math.floor(random() * bytes.length);
  const value = Math.floor(random() * 256);
  const kind = random();
  if (kind < 0.5) bytes[at] = value;
  else if (kind < 0.75) bytes.splice(at, 0, value);
  else bytes.splice(at, 1);
  return Uint8Array.from(bytes);
}

describe("scanUpdate", () => {
  const updates = corpus();

  it("accepts every update Yjs writes, and leaves subdocuments to Yjs", () => {
    const verdicts = updates.map(scanVerdict);
    expect(verdicts.filter((v) => v === "bad")).toEqual([]);
    expect(updates.every((u) => yjsVerdict(u) === "ok")).toBe(true);
    expect(verdicts.filter((v) => v === "defer").length).toBeGreaterThan(0); // the subdocument
    expect(updates.length).toBeGreaterThan(300);
  });

  it("agrees with Y.decodeUpdate on every truncation and on random mutations", () => {
    const random = prng(7);
    const tally = { ok: 0, bad: 0, defer: 0 };
    const disagreements: string[] = [];
    const check = (u: Uint8Array, what: string) => {
      const { scan, disagreement } = compare(u);
      tally[scan]++;
      if (disagreement) disagreements.push(`${what}: ${disagreement}`);
    };
    updates.forEach((update, i) => {
      for (let len = 0; len < update.length; len++)
        check(update.subarray(0, len), `update ${i} cut to ${len}`);
      for (let m = 0; m < 200; m++) check(mutate(update, random), `update ${i} mutation ${m}`);
    });
    expect(disagreements.slice(0, 5)).toEqual([]);
    // Both answers occur often, so agreement is not vacuous.
    expect(tally.ok).toBeGreaterThan(5_000);
    expect(tally.bad).toBeGreaterThan(5_000);
  });

  it("agrees with Y.decodeUpdate on every info byte and every type ref", () => {
    const disagreements: string[] = [];
    const check = (bytes: number[]) => {
      const { disagreement } = compare(Uint8Array.from(bytes));
      if (disagreement) disagreements.push(disagreement);
    };
    // One client, one struct, client 7 at clock 0, then the info byte and bytes that the
    // branches read differently (parent info, names, lengths, content, delete set).
    const tails = [
      [1, 1, 0x74, 1, 0x61, 0],
      [0, 3, 0, 1, 0x61, 0, 0, 0],
      [5, 5, 5, 5, 5, 5, 5, 5, 0, 0],
      [0x7f, 0, 0, 0, 0, 0, 0],
      [1, 1, 0x74, 1, 0x7b, 0, 0],
    ];
    for (let info = 0; info < 256; info++)
      for (const tail of tails) check([1, 1, 7, 0, info, ...tail]);
    // ContentType under root type "t": every known type ref, and the first unknown ones.
    for (let typeRef = 0; typeRef < 10; typeRef++) {
      check([1, 1, 7, 0, 7, 1, 1, 0x74, typeRef, 1, 0x70, 0]);
      check([1, 1, 7, 0, 7, 1, 1, 0x74, typeRef, 0]);
    }
    expect(disagreements).toEqual([]);
  });

  it("backs validateUpdate: malformed updates are ProtocolErrors, subdocuments still checked by Yjs", () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (u: Uint8Array) => updates.push(u));
    doc.getMap("m").set("sub", new Y.Doc());
    const [withSubdoc] = updates;
    expect(() => validateUpdate(withSubdoc!)).not.toThrow();
    expect(() => validateUpdate(withSubdoc!.subarray(0, withSubdoc!.length - 3))).toThrow(
      ProtocolError,
    );
    expect(() => validateUpdate(new Uint8Array([1, 1, 7, 0, 0x1f]))).toThrow(ProtocolError); // unknown content ref
  });

  it("counts what applying an update can add: each item and GC struct, two per deleted range", () => {
    let counted = 0;
    for (const update of updates) {
      const count = countUpdateStructs(update);
      if (count === null) continue; // the subdocument, counted by Yjs (durable-objects/doc-items.ts)
      const { structs, ds } = Y.decodeUpdate(update);
      let expected = structs.filter((struct) => !(struct instanceof Y.Skip)).length;
      for (const ranges of ds.clients.values())
        expected += STRUCTS_PER_DELETED_RANGE * ranges.length;
      expect(count).toBe(expected);
      // What lets the room skip counting far from the cap.
      expect(count).toBeLessThanOrEqual(update.length);
      // Applied to an empty document, it adds no more structs than counted.
      const doc = new Y.Doc();
      Y.applyUpdate(doc, update);
      let added = 0;
      for (const s of doc.store.clients.values()) added += s.length;
      expect(added).toBeLessThanOrEqual(count);
      counted += count;
    }
    expect(counted).toBeGreaterThan(300);
  });
});
