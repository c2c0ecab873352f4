// What a revert keeps of everyone else's changes while it undoes the tracked ones (undo.ts):
// items Yjs dropped as they arrived, format items a cleanup removed, map values someone else set
// later, and content an earlier restore or revert already brought back. Judged during the
// replay, from the replay document's items.
import * as Y from "yjs";
import { addRange, type DeleteSet, subtract } from "./undo-ranges";

/**
 * Items an update inserted that Yjs deleted as they arrived, not their author: typed into a
 * paragraph a tracked update had deleted meanwhile, or a map value that lost to a concurrent one
 * (the stored update, the change as the live document applied it, lists them as deleted too).
 * In the undo's deletions, such an item comes back only where the undo re-creates its parent, and
 * a map value only when every value that beat it is undone (withoutLostMapValues).
 */
export function droppedOnArrival(tr: Y.Transaction): DeleteSet {
  const dropped = Y.createDeleteSet();
  for (const [client, end] of tr.afterState) {
    const start = tr.beforeState.get(client) ?? 0;
    for (const d of tr.deleteSet.clients.get(client) ?? []) {
      const to = Math.min(end, d.clock + d.len);
      for (let clock = Math.max(start, d.clock); clock < to;) {
        const item = Y.getItem(tr.doc.store, Y.createID(client, clock));
        const next = Math.min(to, item.id.clock + item.length);
        if (item instanceof Y.Item) {
          const parent = (item.parent as Y.AbstractType<unknown>)._item;
          const lost = item.parentSub !== null ? item.right !== null : parent?.deleted === true;
          if (lost) addRange(dropped, client, clock, next - clock);
        }
        clock = next;
      }
    }
  }
  return dropped;
}

/**
 * The format items a cleanup transaction deleted that would not have been redundant without the
 * tracked changes: with what tracked updates inserted left out, and what they or this cleanup
 * deleted still there, the item changes an attribute's value and is not overridden before any
 * content.
 */
export function cleanedForTracked(
  tr: Y.Transaction,
  insertions: DeleteSet,
  deletions: DeleteSet,
): DeleteSet {
  const back = Y.createDeleteSet();
  for (const [client, ranges] of tr.deleteSet.clients) {
    for (const { clock: from, len } of ranges) {
      for (let clock = from; clock < from + len;) {
        const item = Y.getItem(tr.doc.store, Y.createID(client, clock));
        const seen = (i: Y.Item) =>
          !Y.isDeleted(insertions, i.id) &&
          (!i.deleted || Y.isDeleted(deletions, i.id) || Y.isDeleted(tr.deleteSet, i.id));
        if (item instanceof Y.Item && !redundantFormat(item, seen))
          addRange(back, client, clock, 1);
        clock = Math.max(clock + 1, item.id.clock + item.length);
      }
    }
  }
  return back;
}

/**
 * Whether a format item changes nothing among the items `seen` admits, as Yjs's cleanup judges:
 * its attribute already has its value there, or another format of the same key follows it before
 * any content. Not a format item: false.
 */
function redundantFormat(item: Y.Item, seen: (i: Y.Item) => boolean): boolean {
  const format = item.content;
  if (!(format instanceof Y.ContentFormat)) return false;
  let value: unknown = null;
  for (
    let i = (item.parent as Y.AbstractType<unknown>)._start;
    i !== null && i !== item;
    i = i.right
  ) {
    if (seen(i) && i.content instanceof Y.ContentFormat && i.content.key === format.key) {
      value = i.content.value;
    }
  }
  if (JSON.stringify(value) === JSON.stringify(format.value)) return true;
  for (let i = item.right; i !== null; i = i.right) {
    if (!seen(i)) continue;
    if (i.countable) return false;
    if (i.content instanceof Y.ContentFormat && i.content.key === format.key) return true;
  }
  return false;
}

/**
 * What an earlier restore or revert (this transaction) already brought back of what the tracked
 * updates deleted: Y.UndoManager re-creates a deleted item as a copy placed just before it (its
 * right origin), with the same content. Left out of the undo, so reverting the same window twice
 * does not bring the content back twice (map values need no such care: withoutLostMapValues sees
 * the copy as the later value).
 */
export function broughtBack(tr: Y.Transaction, deletions: DeleteSet): DeleteSet {
  const back = Y.createDeleteSet();
  const store = tr.doc.store;
  for (const [client, end] of tr.afterState) {
    for (let clock = tr.beforeState.get(client) ?? 0; clock < end;) {
      const copy = Y.getItem(store, Y.createID(client, clock));
      clock = copy.id.clock + copy.length;
      const origin = copy instanceof Y.Item ? copy.rightOrigin : null;
      if (origin === null || !Y.isDeleted(deletions, origin)) continue;
      if (sameAsCopied(store, copy as Y.Item, origin)) {
        addRange(back, origin.client, origin.clock, copy.length);
      }
    }
  }
  return Y.mergeDeleteSets([back]);
}

/** Whether `copy` holds what the `copy.length` clocks from `from` held (deleted or not). */
function sameAsCopied(store: Y.Doc["store"], copy: Y.Item, from: Y.ID): boolean {
  const parts: Y.Item[] = [];
  for (let clock = from.clock; clock < from.clock + copy.length;) {
    const item = Y.getItem(store, Y.createID(from.client, clock));
    if (!(item instanceof Y.Item) || item.parent !== copy.parent) return false;
    parts.push(item);
    clock = item.id.clock + item.length;
  }
  const first = parts[0]!;
  const offset = from.clock - first.id.clock;
  const copied = copy.content;
  if (copied instanceof Y.ContentString) {
    const text = parts.map((p) => (p.content instanceof Y.ContentString ? p.content.str : "\0"));
    return text.join("").slice(offset, offset + copy.length) === copied.str;
  }
  if (parts.length !== 1 || first.content.constructor !== copied.constructor) return false;
  const sig = (c: Y.Item["content"]) =>
    c instanceof Y.ContentFormat
      ? JSON.stringify([c.key, c.value])
      : c instanceof Y.ContentType
        ? String(c.type.constructor.name) + ((c.type as Y.XmlElement).nodeName ?? "")
        : JSON.stringify(c.getContent().slice(offset, offset + copy.length));
  return sig(first.content) === sig(copied);
}

/**
 * Leaves out the map values the undo must not bring back: those a value it keeps replaced
 * (someone else set the key later). Y.UndoManager checks this as it re-creates values one by one,
 * where a value it re-created a moment before hides the conflict from the next.
 */
export function withoutLostMapValues(
  doc: Y.Doc,
  deletions: DeleteSet,
  insertions: DeleteSet,
): DeleteSet {
  const lost = Y.createDeleteSet();
  for (const [client, ranges] of deletions.clients) {
    for (const { clock: from, len } of ranges) {
      for (let clock = from; clock < from + len;) {
        const item = Y.getItem(doc.store, Y.createID(client, clock));
        if (item instanceof Y.Item && item.parentSub !== null) {
          for (let right = item.right; right !== null; right = right.right) {
            if (!Y.isDeleted(insertions, right.id)) {
              addRange(lost, client, clock, 1);
              break;
            }
          }
        }
        clock = Math.max(clock + 1, item.id.clock + item.length);
      }
    }
  }
  return lost.clients.size === 0 ? deletions : subtract(deletions, lost);
}
