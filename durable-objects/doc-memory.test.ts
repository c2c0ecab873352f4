// The memory model holds a loaded document's heap to its budget: the heaviest shapes (per struct,
// per encoded byte; bench/memory-shapes.mjs), built as large as the model (doc-heap.ts) and the
// struct and byte caps admit, applied into a fresh Y.Doc in a `node --expose-gc` child, as a room
// does on load. A guard in Node, cheap enough for every run: workerd's heap for the same shapes
// is up to 1.5x Node's (empty JSON objects), measured by `bench/memory-shapes.mjs --workerd`;
// the weights were set from workerd's figures (docs/limits.md). Memory, not time.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DEFAULT_LIMITS } from "./config";
import { HeapEstimate } from "./doc-heap";
import { storeStructs } from "./doc-items";

const SCRIPT = fileURLToPath(new URL("../bench/memory-shapes.mjs", import.meta.url));
const BUDGET = DEFAULT_LIMITS.maxDocHeapBytes;
const dir = mkdtempSync(join(tmpdir(), "edgesync-doc-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Fill = (doc: Y.Doc, from: number, n: number) => void;

/** The largest document of one shape the defaults admit, grown `step` units at a time. */
function admitted(fill: Fill, step: number): Uint8Array {
  const doc = new Y.Doc({ gc: true });
  const heap = new HeapEstimate(doc);
  let last = Y.encodeStateAsUpdate(doc);
  for (let n = 0; ; n += step) {
    fill(doc, n, step);
    const update = Y.encodeStateAsUpdate(doc);
    const over =
      heap.bytes > BUDGET ||
      storeStructs(doc) > DEFAULT_LIMITS.maxDocItems ||
      update.length > DEFAULT_LIMITS.maxDocBytes;
    if (over) return last; // the document before the step that went over
    last = update;
  }
}

function measure(update: Uint8Array, shape: string): { structs: number; heapBytes: number } {
  const file = join(dir, `${shape}.bin`);
  writeFileSync(file, update);
  const args = ["--expose-gc", SCRIPT, "--shape", shape, "--update", file];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" })) as {
    structs: number;
    heapBytes: number;
  };
}

describe("document heap at the default memory budget", () => {
  const shapes: [string, Fill, number][] = [
    // The heaviest per struct: a shared type in each map entry.
    [
      "map-of-maps",
      (doc, from, n) =>
        doc.transact(() => {
          for (let i = from; i < from + n; i++) doc.getMap("m").set(`k${i}`, new Y.Map());
        }),
      1000,
    ],
    // The shape: distinct small map entries.
    [
      "map-entries",
      (doc, from, n) =>
        doc.transact(() => {
          for (let i = from; i < from + n; i++) doc.getMap("m").set(`k${i}`, i);
        }),
      1000,
    ],
    // The heaviest per encoded byte: many empty objects in one struct.
    [
      "json-objects",
      (doc, from, n) => doc.getArray("a").push(Array.from({ length: n }, () => ({}))),
      10_000,
    ],
    // Single characters of clients taking turns: no two items merge.
    [
      "text-interleaved",
      (doc, from, n) => {
        const text = doc.getText("t");
        for (let i = from; i < from + n; i++) {
          doc.clientID = 1 + (i % 16);
          text.insert(i, "x");
        }
      },
      1000,
    ],
    // Bulk text: content, not structs (256 KiB a step).
    [
      "text-bulk",
      (doc, from) => {
        const text = doc.getText("t");
        text.insert(text.length, String.fromCharCode(97 + (from % 26)).repeat(256 * 1024));
      },
      1,
    ],
  ];
  for (const [shape, fill, step] of shapes) {
    it(`${shape}: the largest document admitted stays under ${BUDGET / 2 ** 20} MiB of heap`, () => {
      const update = admitted(fill, step);
      const result = measure(update, shape);
      console.log(
        `${shape}: ${update.length} B encoded, ${result.structs} structs, ${(result.heapBytes / 2 ** 20).toFixed(1)} MB in Node`,
      );
      // The encoded copy a loaded document keeps for fresh clients counts too.
      expect(result.heapBytes + update.length).toBeLessThan(BUDGET);
    });
  }
});
