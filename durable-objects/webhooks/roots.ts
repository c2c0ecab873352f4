// Which root types (`doc.get(name)`) a change touched, for `document.updated`'s `roots`. Read from
// the Yjs transaction that made the change (a few property reads per keystroke); a change whose
// transaction was not seen (the first after a load, before the watch was set) is decoded instead.
import * as Y from "yjs";

// Yjs types a shared type by its events; any type will do here.
type AnyType = Y.AbstractType<any>;

/** The name of the root type `type` belongs to, or null (a type not in the document). */
function rootName(type: AnyType): string | null {
  let root = type;
  while (root._item) root = root._item.parent as AnyType;
  try {
    return Y.findRootTypeKey(root);
  } catch {
    return null;
  }
}

/** Root names changed by transaction `tr`. */
export function rootsOfTransaction(tr: Y.Transaction): string[] {
  const names = new Set<string>();
  for (const type of tr.changed.keys()) {
    const name = rootName(type);
    if (name !== null) names.add(name);
  }
  return [...names];
}

/** Root names `update` (already applied to `doc`) changed: its items' parents and its deletions. */
export function rootsOfUpdate(doc: Y.Doc, update: Uint8Array): string[] {
  const names = new Set<string>();
  const { structs, ds } = Y.decodeUpdate(update);
  const add = (id: Y.ID) => {
    try {
      const item = Y.getItem(doc.store, id);
      if (item instanceof Y.Item) {
        const name = rootName(item.parent as AnyType);
        if (name !== null) names.add(name);
      }
    } catch {
      // garbage-collected or not in the store: nothing to name
    }
  };
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    if (typeof struct.parent === "string") names.add(struct.parent);
    else add(struct.id);
  }
  for (const [client, ranges] of ds.clients)
    for (const range of ranges) add(Y.createID(client, range.clock));
  return [...names];
}
