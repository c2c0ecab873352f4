// A document's Y.Doc as loaded from storage, and what it costs: a snapshot left unapplied until it
// is needed (most of a cold load), the whole-document encoding kept between transactions, and
// the estimate of its encoded size that the size cap checks against. The Room builds on it.
import * as Y from "yjs";
import type { RoomLimits } from "./config";
import { HeapEstimate, HEAP_WEIGHTS } from "./doc-heap";
import { addsNothing, structLimitRefusal } from "./doc-items";
import { dropParked } from "./parked";
import { encodeSyncStep2, encodeSyncUpdate } from "../protocol/envelope";
import { splitSync, SYNC_PART_BYTES } from "./sync-parts";

/**
 * The frames answering a sync step 1: one step 2, or for a large answer its parts as sync updates
 * then the step 2 (sync-parts.ts). `updateBytes`: the Yjs update bytes they carry together.
 */
export interface SyncAnswer {
  frames: Uint8Array[];
  updateBytes: number;
}

export class LoadedDoc {
  protected readonly ydoc = new Y.Doc({ gc: true });
  /** The document's estimated heap (doc-heap.ts), counted from every transaction. */
  private readonly heap = new HeapEstimate(this.ydoc);
  /**
   * A loaded snapshot not yet applied to the document, with its stored state vector. Applying a
   * large snapshot is most of a cold load (≈50 ms for 220 KB in a fresh isolate), and a fresh
   * client needs neither: sync step 1 is the stored state vector and the answer to an empty
   * state vector is the snapshot itself. Anything else that reads or changes the document goes
   * through `doc`, which applies it then.
   */
  private deferred: { snapshot: Uint8Array; stateVector: Uint8Array } | null = null;
  /**
   * The whole document encoded as one update, kept while no transaction has run since: a fresh
   * client (empty state vector) gets these bytes instead of a new encoding, and right after a
   * load they are the stored snapshot itself.
   */
  private fullState: Uint8Array | null = null;
  /**
   * The parts of the answer to an empty state vector (a large document's first sync), kept like
   * `fullState`: clients joining the same state share these bytes rather than each getting a copy.
   */
  private fullParts: SyncAnswer | null = null;
  /** Upper bound on the encoded document size (loaded + stored bytes), refined on demand. */
  private sizeEstimate = 0;
  /** Bytes applied in the open transaction and not yet counted in sizeEstimate. */
  private pendingBytes = 0;
  /** True while stored state is applied: those changes are not written back. */
  protected loading = false;

  /** @param storedBytes bytes the store holds (snapshot + log): exact right after a compaction. */
  constructor(private readonly storedBytes: () => number) {
    // Any transaction may change the encoded state (even one that only parks pending structs).
    this.ydoc.on("afterTransaction", () => (this.fullState = this.fullParts = null));
  }

  /** The live document; a snapshot whose application was deferred is applied first. */
  get doc(): Y.Doc {
    if (this.deferred) this.integrate();
    return this.ydoc;
  }

  /** True while a loaded snapshot waits to be applied (see `deferred`). */
  get snapshotPending(): boolean {
    return this.deferred !== null;
  }

  /**
   * Builds the document from a snapshot and log entries without writing anything back. With
   * the snapshot's state vector and no log entries, applying the snapshot is deferred until
   * the document is first needed (see `deferred`).
   */
  loadFrom(
    snapshot: Uint8Array | null,
    log: { data: Uint8Array }[],
    snapshotStateVector: Uint8Array | null = null,
  ): void {
    this.sizeEstimate = (snapshot?.length ?? 0) + log.reduce((n, e) => n + e.data.length, 0);
    if (snapshot && log.length === 0 && snapshotStateVector) {
      this.deferred = { snapshot, stateVector: snapshotStateVector };
      this.fullState = snapshot;
      return;
    }
    if (this.apply(snapshot, log) && snapshot && log.length === 0) this.fullState = snapshot;
  }

  /** Applies a deferred snapshot now (a no-op when there is none). */
  private integrate(): void {
    const pending = this.deferred;
    if (!pending) return;
    this.deferred = null;
    this.fullState = this.apply(pending.snapshot, []) ? pending.snapshot : null;
  }

  /**
   * Applies stored state. Structs Yjs parks are dropped (parked.ts): a document stored before
   * they were had them in its snapshot, and they are not served from it again (returns false).
   */
  private apply(snapshot: Uint8Array | null, log: { data: Uint8Array }[]): boolean {
    this.loading = true;
    try {
      this.ydoc.transact(() => {
        if (snapshot) Y.applyUpdate(this.ydoc, snapshot);
        for (const entry of log) Y.applyUpdate(this.ydoc, entry.data);
      });
    } finally {
      this.loading = false;
    }
    const parked = this.ydoc.store.pendingStructs || this.ydoc.store.pendingDs;
    if (parked) console.warn(`edgesync: dropped stored ${dropParked(this.ydoc, null)}`);
    return !parked;
  }

  /** The document's state vector, without applying a deferred snapshot (sync step 1). */
  stateVector(): Uint8Array {
    return this.deferred ? this.deferred.stateVector : Y.encodeStateVector(this.ydoc);
  }

  /** What a peer at `stateVector` lacks, as one update (the answer to its sync step 1). */
  missing(stateVector: Uint8Array): Uint8Array {
    if (isEmptyStateVector(stateVector))
      return (this.fullState ??= Y.encodeStateAsUpdate(this.doc));
    if (this.deferred) return Y.diffUpdate(this.deferred.snapshot, stateVector);
    return Y.encodeStateAsUpdate(this.doc, stateVector);
  }

  /**
   * The answer to a sync step 1: one update (`missing`) when it fits in one part, as always; else
   * its parts (sync-parts.ts), shared between the clients that start from nothing.
   */
  syncAnswer(stateVector: Uint8Array): SyncAnswer {
    const fresh = isEmptyStateVector(stateVector);
    if (fresh && this.fullParts) return this.fullParts;
    const update = this.missing(stateVector);
    const whole = () => ({ frames: [encodeSyncStep2(update)], updateBytes: update.length });
    if (update.length <= SYNC_PART_BYTES) return whole();
    const parts = splitSync(this.doc, stateVector);
    if (!parts) return whole();
    const answer = {
      frames: [...parts.updates.map(encodeSyncUpdate), encodeSyncStep2(parts.final)],
      updateBytes: parts.totalBytes,
    };
    // One copy of the document's encoding is kept, not two (the parts hold the same bytes).
    if (fresh) [this.fullParts, this.fullState] = [answer, null];
    return answer;
  }

  /** The exact encoded size of the document (encodes it; use sparingly). */
  encodedSize(): number {
    const size = Y.encodeStateAsUpdate(this.doc).length;
    this.sizeEstimate = size;
    this.pendingBytes = 0; // the exact size includes an open transaction's changes
    return size;
  }

  /** The document's estimated heap in bytes (doc-heap.ts); applies a deferred snapshot. */
  get estimatedHeap(): number {
    this.integrate();
    return this.heap.bytes;
  }

  /**
   * Why applying `update` would take the document past its heap budget, its byte cap or its
   * struct cap, or null. Only growth is refused: a stored document over a lowered limit still
   * loads and takes what adds nothing. Cheapest first: the byte estimate only grows, so the
   * exact (costly) size is computed only near the cap; the update is decoded and priced only
   * when its bytes at the dearest heap per byte could reach the budget.
   */
  growthRefusal(update: Uint8Array, limits: RoomLimits): string | null {
    const max = limits.maxDocBytes;
    const over =
      Math.min(this.sizeEstimate, this.storedBytes()) + this.pendingBytes + update.length > max &&
      this.encodedSize() + update.length > max;
    if (over && !addsNothing(this.doc, update)) {
      return `update of ${update.length} bytes would push the document over its ${max}-byte limit`;
    }
    const budget = limits.maxDocHeapBytes;
    const heap = this.estimatedHeap;
    if (heap + update.length * MAX_HEAP_PER_UPDATE_BYTE > budget) {
      const added = this.heap.added(update);
      if (added > 0 && heap + added > budget) {
        return (
          `update adding up to ${mb(added)} of estimated heap to ${mb(heap)} would pass the ` +
          `document's ${mb(budget)} memory budget`
        );
      }
    }
    return structLimitRefusal(this.doc, update, limits.maxDocItems);
  }

  /** Counts an update applied inside an open transaction, until its stored size is known. */
  protected notePending(bytes: number): void {
    if (this.ydoc._transaction) this.pendingBytes += bytes;
  }

  /** Counts a change as stored (its transaction ended): the estimate grows by its size. */
  protected noteStored(bytes: number): void {
    this.sizeEstimate += bytes;
    this.pendingBytes = 0;
  }

  /** A transaction ended without storing what it counted as pending (it changed nothing). */
  protected dropPending(): void {
    this.pendingBytes = 0;
  }
}

/**
 * The most heap one byte of an update can add: a deleted range of two bytes (clock and length)
 * can split two items, two structs (doc-heap.ts); every other kind costs less per byte.
 */
const MAX_HEAP_PER_UPDATE_BYTE = HEAP_WEIGHTS.struct;

/** Bytes as MB with two decimals, for refusal messages. */
function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MB`;
}

/** True for the state vector of an empty document (a client that has nothing yet). */
function isEmptyStateVector(sv: Uint8Array): boolean {
  return sv.length === 0 || (sv.length === 1 && sv[0] === 0);
}
