// The default document caps hold a loaded document's heap to a stated bound: the heaviest shapes
// (per struct and per encoded byte, bench/memory-shapes.mjs), built as large as both caps admit,
// applied into a fresh Y.Doc in a `node --expose-gc` child, as a room does on load. Memory, not time.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "./config";

/** The heap one document may take at the default caps (docs/configuration.md). */
const DOCUMENT_HEAP_BOUND = 48 * 1024 * 1024;

const SCRIPT = fileURLToPath(new URL("../bench/memory-shapes.mjs", import.meta.url));

interface Measured {
  structs: number;
  encodedBytes: number;
  heapBytes: number;
}

function measure(shape: string): Measured {
  const { maxDocItems, maxDocBytes } = DEFAULT_LIMITS;
  const caps = ["--max-bytes", String(maxDocBytes)];
  // Without a struct cap, the byte cap alone decides how large the document grows.
  if (maxDocItems !== undefined) caps.push("--max-structs", String(maxDocItems));
  const args = [
    "--expose-gc",
    SCRIPT,
    "--shape",
    shape,
    "--structs",
    String(Number.MAX_SAFE_INTEGER),
    ...caps,
  ];
  return JSON.parse(
    execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 }),
  ) as Measured;
}

describe("document heap at the default caps", () => {
  // The heaviest per struct (a shared type in each map entry), the shape (distinct
  // small map entries), and the heaviest per encoded byte (one struct of many empty objects).
  for (const shape of ["map-of-maps", "map-entries", "xml-deep", "json-objects"]) {
    it(`${shape}: the largest document the caps admit stays under ${DOCUMENT_HEAP_BOUND / 2 ** 20} MiB`, () => {
      const result = measure(shape);
      expect(result.encodedBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxDocBytes);
      expect(result.structs).toBeLessThanOrEqual(DEFAULT_LIMITS.maxDocItems ?? Infinity);
      expect(result.heapBytes).toBeLessThan(DOCUMENT_HEAP_BOUND);
    });
  }
});
