// Delete sets as sets of clock ranges (what Y.UndoManager records a step in): built from a
// transaction, added to, subtracted, tested for cover. Yjs exports merging but not these.
import * as Y from "yjs";

/** Yjs does not export the class; its shape is what createDeleteSet returns. */
export type DeleteSet = ReturnType<typeof Y.createDeleteSet>;

/** The clock ranges a transaction created (how Y.UndoManager records a step's insertions). */
export function insertionsOf(tr: Y.Transaction): DeleteSet {
  const ds = Y.createDeleteSet();
  for (const [client, end] of tr.afterState) {
    const start = tr.beforeState.get(client) ?? 0;
    if (end > start) addRange(ds, client, start, end - start);
  }
  return ds;
}

/** Appends a range; ranges of a client must be added in clock order. */
export function addRange(ds: DeleteSet, client: number, clock: number, len: number): void {
  const list = ds.clients.get(client) ?? [];
  const last = list[list.length - 1];
  if (last !== undefined && last.clock + last.len === clock) last.len += len;
  else list.push({ clock, len } as (typeof list)[number]);
  ds.clients.set(client, list);
}

/** The ranges of `a` not in `b` (both sorted and merged, as Y.mergeDeleteSets leaves them). */
export function subtract(a: DeleteSet, b: DeleteSet): DeleteSet {
  const out = Y.createDeleteSet();
  for (const [client, ranges] of a.clients) {
    const cuts = b.clients.get(client) ?? [];
    let k = 0;
    for (const { clock, len } of ranges) {
      let from = clock;
      const to = clock + len;
      while (k < cuts.length && cuts[k]!.clock + cuts[k]!.len <= from) k++;
      for (let c = k; c < cuts.length && cuts[c]!.clock < to; c++) {
        const cut = cuts[c]!;
        if (cut.clock > from) addRange(out, client, from, cut.clock - from);
        from = Math.max(from, cut.clock + cut.len);
      }
      if (from < to) addRange(out, client, from, to - from);
    }
  }
  return out;
}

/** Whether every clock in [clock, clock + len) of `client` is in `ds` (sorted and merged). */
export function covered(ds: DeleteSet, client: number, clock: number, len: number): boolean {
  let next = clock;
  for (const d of ds.clients.get(client) ?? []) {
    if (d.clock > next) break;
    next = Math.max(next, d.clock + d.len);
    if (next >= clock + len) return true;
  }
  return next >= clock + len;
}
