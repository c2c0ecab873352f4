// Fault injection for tests: lets a test make loading, compaction or a D1 flush fail for one
// document id, to prove that failures change nothing, or hold a D1 write or delete until released,
// to order it against other work. Empty in production; nothing sets it.

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

/** Places where a test can hold a document's persistence work to order it against another. */
export type HoldPoint = "d1-flush-write" | "d1-delete";

interface Hold {
  reached(): void;
  released: Promise<void>;
}

const holds = new Map<string, Hold>();
const holdKey = (docId: string, point: HoldPoint) => `${point}\u0000${docId}`;

/**
 * Arms a hold: the next time `docId`'s work reaches `point` it waits there until `release()`.
 * `reached` resolves once it does.
 */
export function holdAt(
  docId: string,
  point: HoldPoint,
): { reached: Promise<void>; release(): void } {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  holds.set(holdKey(docId, point), { reached, released });
  return {
    reached: reachedPromise,
    release: () => (holds.delete(holdKey(docId, point)), release()),
  };
}

/** Waits at a hold armed for this document and point (once); nothing when none is armed. */
export async function maybeHold(docId: string | null, point: HoldPoint): Promise<void> {
  const hold = docId === null ? undefined : holds.get(holdKey(docId, point));
  if (!hold) return;
  holds.delete(holdKey(docId!, point));
  hold.reached();
  await hold.released;
}
