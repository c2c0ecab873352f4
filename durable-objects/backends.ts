// One document's stored state across its two backends — the DO's own store and D1 — in the
// steps that need both: loading (with repair and hydration), replication of a snapshot to D1,
// and deletion. When these steps run is persistence.ts's business.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { validateUpdate } from "../protocol/messages";
import { failure, type RpcFailure } from "./contract";
import { maybeFail, maybeHold } from "./faults";
import { D1NotMigratedError, type D1Record } from "./storage/d1-record";
import type { DocumentStore, QuarantinedRow, Rescue } from "./storage/document-store";

/** A snapshot of the document handed to the replica. */
export interface ReplicaCopy {
  snapshot: Uint8Array;
  /** The snapshot's state vector (encoded from the document in the same synchronous step). */
  stateVector: Uint8Array;
  /** The last log sequence the snapshot covers. */
  seq: number;
  /** When the latest change was made, if this instance saw one (memory only). */
  updatedAt: number | null;
  flushedAt: number;
}

/** Where snapshots are replicated (D1: Backends below). */
export interface Replica {
  /**
   * Writes `copy` as the next generation and returns its number, or null when there is nothing
   * to replicate yet. Throws when it was not written; the schedule backs off and retries.
   */
  replicate(copy: ReplicaCopy): Promise<number | null>;
}

/** Thrown by `load` in "existing" mode when the document does not exist anywhere. */
export class DocumentNotFoundError extends Error {
  override name = "DocumentNotFoundError";
}

/**
 * Thrown by `load` when stored state is damaged and no intact copy of it can be reached: the
 * document is refused (503 / 4503) and the damaged rows stay where they are for an operator.
 */
export class DocumentDamagedError extends Error {
  override name = "DocumentDamagedError";
}

/** How an RPC or REST call is answered when its document could not be loaded. */
export function loadFailure(err: unknown, docId: string): RpcFailure {
  if (err instanceof DocumentNotFoundError)
    return failure(404, "document_not_found", `document ${docId} does not exist`);
  if (err instanceof D1NotMigratedError) return failure(500, "d1_not_migrated", err.message);
  if (err instanceof DocumentDamagedError) {
    return failure(
      503,
      "document_damaged",
      "the stored document is damaged and no intact copy was found; kept for an operator",
    );
  }
  return failure(503, "document_unavailable", "the document could not be loaded; retry later");
}

/** The close reason of 4412, within a close frame's 123 bytes (the HTTP message is longer). */
const NOT_MIGRATED_REASON =
  "edgesync's D1 tables are missing: run wrangler d1 migrations apply <binding> --local";

/** How a socket is closed when its document could not be served: code and reason. */
export function unavailable(err: unknown): { code: CloseCode; reason: string } {
  if (err instanceof D1NotMigratedError)
    return { code: CloseCode.NotMigrated, reason: NOT_MIGRATED_REASON };
  const reason =
    err instanceof DocumentDamagedError
      ? "document damaged; no intact copy found, kept for an operator"
      : "document unavailable, retry later";
  return { code: CloseCode.DocumentUnavailable, reason };
}

/**
 * What a load may do when the document does not exist: "create" it (a writer), serve an empty
 * "view" that writes nothing (a reader; the first writer creates it), or refuse ("existing").
 */
export type LoadMode = "create" | "view" | "existing";

export interface LoadReport {
  source: "storage" | "d1" | "new";
  /** Damaged rows found by this load and moved to the quarantine table. */
  quarantined: QuarantinedRow[];
  /**
   * Set when the snapshot was damaged and the document was rebuilt from D1's generation plus
   * the intact log; `lostSeqs` are the updates only the damaged snapshot held (clients that
   * still have them send them back on their next sync).
   */
  recovered: { from: "d1"; generation: number; lostSeqs: [number, number] | null } | null;
  /** The document does not exist yet and was opened as an empty view; nothing was written. */
  provisional: boolean;
  ms: number;
  /** The snapshot was left to be applied when first needed (see LoadedDoc.loadFrom). */
  deferred: boolean;
}

/** What loading fills: the Room (structurally, so this module does not depend on it). */
export interface Loadable {
  loadFrom(
    snapshot: Uint8Array | null,
    log: { data: Uint8Array }[],
    snapshotStateVector?: Uint8Array | null,
  ): void;
  readonly snapshotPending: boolean;
  readonly doc: Y.Doc;
}

/**
 * The document's two backends together (named apart from `DocumentStore`, the DO store's own
 * interface, which it holds beside D1).
 */
export class Backends implements Replica {
  constructor(
    readonly store: DocumentStore,
    private readonly d1: D1Record,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Fills `room` from DO storage, else from D1, else starts a new document (see LoadMode).
   * Throws if storage or D1 fails, or if damaged state has no intact copy; then nothing has been
   * written and the caller must refuse service.
   */
  async load(room: Loadable, docId: string, mode: LoadMode = "create"): Promise<LoadReport> {
    const started = this.now();
    const report = (source: LoadReport["source"], more: Partial<LoadReport> = {}): LoadReport => ({
      source,
      quarantined: [],
      recovered: null,
      provisional: false,
      ms: this.now() - started,
      deferred: room.snapshotPending,
      ...more,
    });
    maybeFail(docId, "load");
    const stored = await this.store.load(docId, validateUpdate, this.rescue(docId));
    if (stored) {
      room.loadFrom(stored.snapshot, stored.log, stored.snapshotStateVector);
      for (const row of stored.quarantined) {
        console.error(
          `edgesync: quarantined damaged ${row.source} of ${docId} (row ${row.id}): ${row.reason}`,
        );
      }
      let recovered: LoadReport["recovered"] = null;
      if (stored.rescued) {
        const { replacement, damagedSeq } = stored.rescued;
        const lostSeqs: [number, number] | null =
          damagedSeq > replacement.throughSeq ? [replacement.throughSeq + 1, damagedSeq] : null;
        recovered = { from: "d1", generation: replacement.generation, lostSeqs };
        const lost = lostSeqs ? `; updates ${lostSeqs.join("–")} were only in it` : "";
        console.error(
          `edgesync: ${docId} rebuilt from D1 generation ${replacement.generation}${lost}`,
        );
      }
      return report("storage", { quarantined: stored.quarantined, recovered });
    }
    if (await this.hydrate(room, docId)) return report("d1", { deferred: false });
    if (mode === "existing") throw new DocumentNotFoundError(`document ${docId} does not exist`);
    if (mode === "view") return report("new", { provisional: true });
    this.store.create(docId, this.now());
    return report("new");
  }

  /**
   * A damaged snapshot is replaced by D1's generation of the same incarnation, never by
   * nothing: without one the load throws (DocumentDamagedError) and nothing is written.
   */
  private rescue(docId: string): Rescue {
    return async (damage) => {
      const record = await this.d1.get(docId);
      if (!record || record.epoch !== this.store.identity().epoch) {
        throw new DocumentDamagedError(
          `the stored snapshot of ${docId} is damaged (${damage.reason}) and D1 holds no copy of it`,
        );
      }
      const snapshot = await this.d1.loadSnapshot(record);
      validateUpdate(snapshot);
      return {
        snapshot,
        throughSeq: record.flushedSeq,
        stateVector: Y.encodeStateVectorFromUpdate(snapshot),
        generation: record.generation,
      };
    };
  }

  /**
   * Hydration from D1, for a store that holds nothing: everything is read and checked first;
   * only then is D1's copy written, by the store's `hydrate` (one transaction). Returns false
   * when D1 has no such document.
   */
  private async hydrate(room: Loadable, docId: string): Promise<boolean> {
    const record = await this.d1.get(docId);
    if (!record) return false;
    const snapshot = await this.d1.loadSnapshot(record);
    validateUpdate(snapshot);
    room.loadFrom(snapshot, []);
    this.store.hydrate({
      snapshot,
      stateVector: Y.encodeStateVector(room.doc),
      identity: {
        docId,
        epoch: record.epoch,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
      },
      replicated: { generation: record.generation, flushedSeq: record.flushedSeq },
    });
    return true;
  }

  /**
   * Writes `copy` to D1 as the next generation and returns its number (null when the document
   * has no id yet: nothing to replicate). Never replaces a
   * generation that holds updates the copy lacks (its state vector is not covered): that throws,
   * so replication is held and reported instead.
   */
  async replicate(copy: ReplicaCopy): Promise<number | null> {
    const { docId, epoch, createdAt, updatedAt } = this.store.identity();
    if (docId === null) return null;
    maybeFail(docId, "d1-flush");
    const current = await this.d1.get(docId);
    if (
      current?.stateVector &&
      current.epoch === epoch &&
      !covers(copy.stateVector, current.stateVector)
    ) {
      throw new Error(
        `D1 generation ${current.generation} holds updates this copy lacks: not replaced`,
      );
    }
    await maybeHold(docId, "d1-flush-write");
    // Normally D1's generation is the one we last wrote; never reuse a number it already has.
    const generation = Math.max(this.store.replication().generation, current?.generation ?? 0) + 1;
    await this.d1.flush(
      {
        stateVector: copy.stateVector,
        id: docId,
        epoch,
        generation,
        encodedSize: copy.snapshot.length,
        updateCount: copy.seq,
        flushedSeq: copy.seq,
        createdAt: createdAt || copy.flushedAt,
        updatedAt: copy.updatedAt ?? (updatedAt || copy.flushedAt),
        flushedAt: copy.flushedAt,
      },
      copy.snapshot,
    );
    return generation;
  }

  /**
   * Deletes the document everywhere. Keeps only a tombstone — the deleted document's state
   * vector — so that stale clients' old content is not accepted back (see Room.write).
   */
  async destroy(stateVector: Uint8Array): Promise<void> {
    const { docId, tombstone } = this.store.identity();
    // D1 first: if it fails, nothing is wiped and the caller can retry. The other order
    // would let a later load hydrate the deleted document back from D1.
    if (docId !== null) {
      await maybeHold(docId, "d1-delete");
      await this.d1.delete(docId);
    }
    this.store.wipe(mergeStateVectors(tombstone, stateVector));
  }
}

/** True when state vector `a` includes every update of state vector `b`. */
function covers(a: Uint8Array, b: Uint8Array): boolean {
  const mine = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b))
    if ((mine.get(client) ?? 0) < clock) return false;
  return true;
}

function mergeStateVectors(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (!a) return b;
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b))
    merged.set(client, Math.max(clock, merged.get(client) ?? 0));
  return encodeStateVectorMap(merged);
}

function encodeStateVectorMap(sv: Map<number, number>): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, sv.size);
  for (const [client, clock] of sv) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
  }
  return encoding.toUint8Array(encoder);
}
