// Restore and revert as forward Yjs updates: the document is rebuilt at the restore point, what
// came after is replayed with a Y.UndoManager tracking it (or only the reverted actor's part), and
// the undo's own update is the answer. Pure (no I/O); every result is checked before it is returned.
import * as Y from "yjs";
import { documentContent, sameContent } from "./undo-content";
import {
  broughtBack,
  cleanedForTracked,
  droppedOnArrival,
  withoutLostMapValues,
} from "./undo-others";
import { covered, type DeleteSet, insertionsOf, subtract } from "./undo-ranges";

export interface HistoryUpdate {
  seq: number;
  ts: number;
  actor: string;
  origin: string;
  update: Uint8Array;
}

/** The origin of replayed updates, so the replay's own transactions can be told apart. */
const REPLAY = Symbol("replay");
/** Origins of stored updates that a restore or a revert wrote (HistoryUpdate.origin). */
const UNDOING = new Set(["restore", "revert"]);

/**
 * The forward update that brings the document back to the content of `base` (Y.encodeStateAsUpdate
 * of the document at the restore point), given every update stored after that point in seq order
 * through the current state. null when nothing changes. Verified: throws if the result does not
 * reproduce base's content.
 */
export function restoreUpdate(base: Uint8Array, after: HistoryUpdate[]): Uint8Array | null {
  const target = documentContent(docOf(base, []));
  const current = docOf(base, after);
  if (sameContent(documentContent(current), target)) return null;
  const update = undoAfter(base, after, () => true);
  if (update === null) throw new UndoError("restore found changes after the point but undid none");
  applyChecked(current, update, "restore");
  if (!sameContent(documentContent(current), target)) {
    throw new UndoError("restore did not reproduce the content at the restore point");
  }
  return update;
}

/**
 * The forward update that removes the changes of the updates `target` selects among `after`
 * (every update after `base`'s point through now), keeping everyone else's. null when nothing
 * changes. Verified: throws unless the result applies cleanly and leaves every item the selected
 * updates inserted deleted.
 *
 * Stored updates are changes as the live document applied them, so two concurrent edits leave no
 * trace and come back with the revert: someone deleting what a selected update had deleted just
 * before (nothing left to delete), and someone typing into a paragraph a selected update had
 * deleted just before (garbage-collected on arrival). Both need the edit to race the selected one.
 */
export function revertUpdate(
  base: Uint8Array,
  after: HistoryUpdate[],
  target: (u: HistoryUpdate) => boolean,
): Uint8Array | null {
  const selected = after.filter(target);
  if (selected.length === 0) return null;
  const update = undoAfter(base, after, target);
  if (update === null) return null;
  const current = docOf(base, after);
  applyChecked(current, update, "revert");
  const deleted = Y.createDeleteSetFromStructStore(current.store);
  for (const { update: bytes } of selected) {
    for (const struct of Y.decodeUpdate(bytes).structs) {
      if (!(struct instanceof Y.Item)) continue;
      if (!covered(deleted, struct.id.client, struct.id.clock, struct.length)) {
        throw new UndoError("revert left an item the reverted updates inserted in place");
      }
    }
  }
  return update;
}

/** A restore or revert whose computed update failed its check: nothing should be applied. */
export class UndoError extends Error {
  override name = "UndoError";
}

/**
 * Replays `after` onto `base` in a document that keeps deleted content (gc off, so an undo can
 * bring back anything deleted after the point, whoever deleted it), one transaction per update as
 * the live document applied them, recording what the updates `tracked` selects inserted and
 * deleted; then undoes all of that as one Y.UndoManager step and returns the step's update (null
 * if it changed nothing). One step: an item both inserted and deleted after the point stays
 * deleted, one deleted after the point comes back once, whatever the order.
 */
function undoAfter(
  base: Uint8Array,
  after: HistoryUpdate[],
  tracked: (u: HistoryUpdate) => boolean,
): Uint8Array | null {
  const doc = new Y.Doc({ gc: false });
  Y.applyUpdate(doc, base);
  const inserted: DeleteSet[] = [];
  const deleted: DeleteSet[] = [];
  const keptDeleting: DeleteSet[] = [];
  let cleaned = Y.createDeleteSet();
  let replaying: { track: boolean; update: Uint8Array; origin: string } | null = null;
  // Every transaction while an update is applied belongs to it: its own, and the formatting
  // cleanup Yjs runs after a remote change to a Y.Text or Y.XmlText (a local transaction deleting
  // format items made redundant, as the live document ran it too).
  doc.on("afterTransaction", (tr: Y.Transaction) => {
    if (replaying === null) return;
    const cleanup = tr.origin !== REPLAY;
    if (replaying.track) {
      inserted.push(insertionsOf(tr));
      deleted.push(tr.deleteSet);
    } else if (!cleanup) {
      // Someone else's update: what it deleted stays deleted even if a tracked update deleted it
      // first; what it inserted and Yjs deleted on arrival may come back (droppedOnArrival). A
      // deletion of what a cleanup here had already removed is that cleanup's echo (the live
      // document stores its cleanups as changes too): the cleanup was judged when it ran.
      const dropped = droppedOnArrival(tr);
      const own = Y.decodeUpdate(replaying.update).ds;
      keptDeleting.push(subtract(subtract(own, cleaned), dropped));
      deleted.push(dropped);
      if (UNDOING.has(replaying.origin)) {
        deleted.splice(0, deleted.length, Y.mergeDeleteSets(deleted));
        keptDeleting.push(broughtBack(tr, deleted[0]!));
      }
    } else {
      // A cleanup after someone else's update: it removed format items redundant then. One that
      // was redundant only because of tracked changes comes back (the others' own edits would
      // have kept it); one redundant among the others' content stays deleted.
      inserted.splice(0, inserted.length, Y.mergeDeleteSets(inserted));
      deleted.splice(0, deleted.length, Y.mergeDeleteSets(deleted));
      deleted.push(cleanedForTracked(tr, inserted[0]!, deleted[0]!));
    }
    if (cleanup) cleaned = Y.mergeDeleteSets([cleaned, tr.deleteSet]);
  });
  for (const u of after) {
    replaying = { track: tracked(u), update: u.update, origin: u.origin };
    Y.applyUpdate(doc, u.update, REPLAY);
  }
  replaying = null;
  const insertions = Y.mergeDeleteSets(inserted);
  const deletions = withoutLostMapValues(
    doc,
    subtract(Y.mergeDeleteSets(deleted), Y.mergeDeleteSets(keptDeleting)),
    insertions,
  );
  avoidClientCollision(doc);
  const undo = new Y.UndoManager(doc, { trackedOrigins: new Set() });
  try {
    undo.undoStack.push({ insertions, deletions, meta: new Map() });
    const parts: Uint8Array[] = [];
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === undo) parts.push(update);
    });
    undo.undo();
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
  } finally {
    undo.destroy();
    doc.destroy();
  }
}

/**
 * The undo writes as the replay document's client: one no stored update used, so its items can
 * never clash with a writer's (the live document's clients are the ones in its state vector).
 */
function avoidClientCollision(doc: Y.Doc): void {
  const known = Y.decodeStateVector(Y.encodeStateVector(doc));
  while (known.has(doc.clientID)) doc.clientID = Math.floor(Math.random() * 0xffffffff) >>> 0;
}

/**
 * A garbage-collected document with base and `after` applied as the live one applied them: one
 * transaction each (the formatting cleanup Yjs runs after each depends on it).
 */
function docOf(base: Uint8Array, after: HistoryUpdate[]): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, base);
  for (const u of after) Y.applyUpdate(doc, u.update);
  return doc;
}

/**
 * Applies `update` and throws if part of it could not be integrated (it needs content the
 * document lacks). Whatever the document already held pending (a gap in what was stored) is left
 * out of the comparison.
 */
function applyChecked(doc: Y.Doc, update: Uint8Array, what: string): void {
  const pending = () => [doc.store.pendingStructs?.update, doc.store.pendingDs];
  const [structs, ds] = pending();
  Y.applyUpdate(doc, update);
  const [structsAfter, dsAfter] = pending();
  if (!sameBytes(structs, structsAfter) || !sameBytes(ds, dsAfter)) {
    throw new UndoError(`${what} produced an update that does not apply cleanly`);
  }
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (a == null || b == null) return a == b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
