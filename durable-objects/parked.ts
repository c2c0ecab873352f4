// What Yjs could not integrate, and why a document never keeps it. Yjs parks structs whose
// predecessors are missing (a client's earlier clocks, or an item they refer to) in
// `store.pendingStructs`, and deletions of content it lacks in `store.pendingDs`, and retries them
// with every later update. Kept, they counted toward the document's caps, were written into its
// snapshot and D1 at compaction (one withheld clock locked a document for good) and cost a merge
// of everything parked per update (quadratic CPU). So the room takes them out after every write:
// the rest of the update stays applied, and the writer is told (admission.ts, Room.refuse).
import * as Y from "yjs";

/**
 * Removes everything Yjs parked in `doc`. Returns why some of it was content the document could
 * still receive (so the write is refused), or null when nothing was parked or only deletions of
 * content below `tombstone` were: an earlier incarnation's content never comes back, and stock
 * clients of a recreated document send those deletions in every sync step 2.
 */
export function dropParked(doc: Y.Doc, tombstone: Uint8Array | null): string | null {
  const { store } = doc;
  const structs = store.pendingStructs;
  const deletions = store.pendingDs;
  if (!structs && !deletions) return null;
  store.pendingStructs = null;
  store.pendingDs = null;
  if (structs) {
    const [client, clock] = structs.missing.entries().next().value ?? [0, 0];
    return `update depends on clock ${clock} of client ${client}, which this document does not have: that part was not applied`;
  }
  if (deletions && !deletesOnlyBelow(deletions, tombstone)) {
    return "update deletes content this document does not have: that part was not applied";
  }
  return null;
}

/** True when every range a parked (V2) delete set names lies below `tombstone`'s clocks. */
function deletesOnlyBelow(deletions: Uint8Array, tombstone: Uint8Array | null): boolean {
  if (!tombstone) return false;
  const below = Y.decodeStateVector(tombstone);
  for (const [client, ranges] of Y.decodeUpdateV2(deletions).ds.clients) {
    const end = below.get(client) ?? 0;
    if (ranges.some(({ clock, len }) => clock + len > end)) return false;
  }
  return true;
}
