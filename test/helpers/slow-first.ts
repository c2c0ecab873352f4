// The suite's file order: the longest-running files first, then vitest's own order. Without a
// results cache (a fresh clone, as in CI) vitest starts the largest files first, and the longest
// ones are small files: the 270 s trace replay started last and the whole run waited on it alone.
// Longest first keeps all workers busy to the end (a full run: 813 s with the size order, on
// 2 cores with 4 workers).
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Files over ~60 s in a full run (2026-11-30, 2 cores), longest first. */
const SLOW_FIRST = [
  "test/server/y-websocket.test.ts", // 271 s
  "test/server/crash-safety.test.ts", // 178 s
  "test/server/batch-sync.test.ts", // 170 s
  "test/package/pack.test.ts", // 149 s
  "test/browser/tiptap.test.ts", // 140 s
  "test/server/agent-stream.test.ts", // 139 s
  "test/client/multiplex.test.ts", // 123 s
  "test/server/readme-rest.test.ts", // 87 s
  "test/server/reply-memory.test.ts", // 80 s
  "test/client/offline.test.ts", // 79 s
  "test/hocuspocus/conformance.test.ts", // 77 s
  "test/browser/cors.test.ts", // 72 s
  "test/server/hocuspocus.test.ts", // 72 s
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const order = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return index < 0 ? SLOW_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return [...order].sort((a, b) => rank(a) - rank(b));
  }
}
