// Which root types an update touched, told when activity is read rather than when the update is
// stored (a keystroke pays nothing for it): each struct the update inserts or deletes is found in
// the live document, and its type is followed up to a root. Best effort: content whose whole
// parent was since deleted and collected has no parent left to name ("?").
import * as Y from "yjs";

/** Structs and deleted ranges looked at per update; past it the list ends with "…". */
export const MAX_ROOT_LOOKUPS = 1_000;

/** The names of the root types `update` touched in `doc` (sorted), "?" for any it cannot tell. */
export function rootsOf(doc: Y.Doc, update: Uint8Array): string[] {
  const roots = new Set<string>();
  let looked = 0;
  const look = (client: number, clock: number) => {
    if (looked++ >= MAX_ROOT_LOOKUPS) return roots.add("…");
    roots.add(rootOfId(doc, client, clock));
  };
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return ["?"];
  }
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Item) look(struct.id.client, struct.id.clock);
  }
  for (const [client, ranges] of decoded.ds.clients) {
    for (const range of ranges) look(client, range.clock);
  }
  return [...roots].sort();
}

function rootOfId(doc: Y.Doc, client: number, clock: number): string {
  try {
    const item = Y.getItem(doc.store, Y.createID(client, clock)) as Y.Item | Y.GC;
    if (!(item instanceof Y.Item)) return "?";
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types its types this way
    let type = item.parent as Y.AbstractType<any> | null;
    while (type?._item) type = type._item.parent as Y.AbstractType<unknown> | null;
    return type ? Y.findRootTypeKey(type) : "?";
  } catch {
    return "?"; // not in the document (pruned with its parent)
  }
}
