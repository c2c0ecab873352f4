// Fault injection for tests: lets a test make loading, compaction or a D1 flush fail for one
// document id, to prove that failures change nothing. Empty in production; nothing sets it.

export type FaultPoint = "load" | "compact-before-commit" | "d1-flush";

const armed = new Map<string, Set<FaultPoint>>();

/** Arms (or, with `on = false`, disarms) a fault for a document id. */
export function setFault(docId: string, point: FaultPoint, on = true): void {
  const set = armed.get(docId) ?? new Set<FaultPoint>();
  if (on) set.add(point);
  else set.delete(point);
  if (set.size > 0) armed.set(docId, set);
  else armed.delete(docId);
}

/** Throws an injected fault if one is armed for this document and point. */
export function maybeFail(docId: string | null, point: FaultPoint): void {
  if (docId !== null && armed.get(docId)?.has(point)) {
    throw new Error(`injected fault: ${point}`);
  }
}
