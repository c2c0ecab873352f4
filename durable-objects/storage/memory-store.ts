// An in-memory DocumentStore with the same contract as the DO's SQLite log (see
// document-store.test.ts, which runs both through the same cases): the Node unit tests' stand-in.
// Nothing stored here can be damaged, so `load` never needs a rescue.
import type {
  CompactOptions,
  DocumentStore,
  FlushRecord,
  Hydration,
  Identity,
  LoadedDocument,
  QuarantinedRow,
  ReplicationState,
  StoreSize,
  WriteTotals,
} from "./document-store";

/** What the store holds; pass the same object to a new store to "reopen" it. */
export interface MemoryData {
  log: { seq: number; data: Uint8Array }[];
  snapshot: { data: Uint8Array; seq: number; stateVector: Uint8Array } | null;
  identity: Omit<Identity, "docId" | "epoch"> & { docId: string | null; epoch: string | null };
  replication: ReplicationState;
  totals: WriteTotals;
}

export function emptyMemoryData(tombstone: Uint8Array | null = null): MemoryData {
  return {
    log: [],
    snapshot: null,
    identity: { docId: null, epoch: null, createdAt: 0, updatedAt: 0, tombstone },
    replication: { generation: 0, flushedSeq: 0, failures: 0 },
    totals: {
      log_bytes_total: 0,
      compactions: 0,
      snapshot_bytes_total: 0,
      d1_flushes: 0,
      d1_bytes_total: 0,
    },
  };
}

export class MemoryStore implements DocumentStore {
  private nextSeq: number;

  constructor(private readonly data: MemoryData = emptyMemoryData()) {
    this.nextSeq = this.highestSeq() + 1;
  }

  async load(docId: string): Promise<LoadedDocument | null> {
    const { log, snapshot, identity } = this.data;
    if (log.length === 0 && !snapshot && identity.epoch === null) return null;
    identity.docId ??= docId;
    this.nextSeq = this.highestSeq() + 1;
    return {
      snapshot: snapshot ? new Uint8Array(snapshot.data) : null,
      log: log.map((e) => ({ seq: e.seq, data: new Uint8Array(e.data) })),
      snapshotStateVector: snapshot ? new Uint8Array(snapshot.stateVector) : null,
      quarantined: [],
      rescued: null,
    };
  }

  append(update: Uint8Array): number {
    const seq = this.nextSeq++;
    this.data.log.push({ seq, data: new Uint8Array(update) });
    return seq;
  }

  compact(snapshot: Uint8Array, stateVector: Uint8Array, opts: CompactOptions): void {
    // Built aside and swapped in only after beforeCommit: a throw leaves the old state (a rollback).
    const next: MemoryData = structuredClone(this.data);
    const { logBytes } = this.size();
    next.snapshot = { data: new Uint8Array(snapshot), seq: opts.throughSeq, stateVector };
    next.log = next.log.filter((e) => e.seq > opts.throughSeq);
    next.totals.log_bytes_total += logBytes;
    next.totals.compactions += 1;
    next.totals.snapshot_bytes_total += snapshot.length;
    next.identity.updatedAt = opts.updatedAt;
    opts.beforeCommit?.();
    Object.assign(this.data, next);
  }

  hydrate(copy: Hydration): void {
    const { snapshot, stateVector, replicated } = copy;
    this.data.snapshot = {
      data: new Uint8Array(snapshot),
      seq: replicated.flushedSeq,
      stateVector,
    };
    this.data.log = this.data.log.filter((e) => e.seq > replicated.flushedSeq);
    this.data.identity = { ...this.data.identity, ...copy.identity };
    this.data.replication = { ...this.data.replication, ...replicated };
    this.nextSeq = Math.max(this.nextSeq, this.highestSeq() + 1);
  }

  wipe(tombstone: Uint8Array): void {
    Object.assign(this.data, emptyMemoryData(tombstone));
    this.nextSeq = 1;
  }

  create(docId: string, at: number): void {
    if (this.data.identity.epoch !== null) return;
    Object.assign(this.data.identity, { docId, epoch: crypto.randomUUID(), createdAt: at });
  }

  identity(): Identity {
    const { identity } = this.data;
    return { ...identity, epoch: identity.epoch ?? "" };
  }

  replication(): ReplicationState {
    return { ...this.data.replication };
  }

  recordFlush(written: FlushRecord | null): ReplicationState {
    const { totals } = this.data;
    if (!written) this.data.replication.failures++;
    else {
      const { generation, flushedSeq } = written;
      this.data.replication = { generation, flushedSeq, failures: 0 };
      totals.d1_flushes++;
      totals.d1_bytes_total += written.bytes;
    }
    return this.replication();
  }

  writeTotals(): WriteTotals {
    return { ...this.data.totals };
  }

  size(): StoreSize {
    const logBytes = this.data.log.reduce((n, e) => n + e.data.length, 0);
    const snapshotBytes = this.data.snapshot?.data.length ?? 0;
    const logRows = this.data.log.length;
    return {
      logRows,
      logBytes,
      snapshotBytes,
      bytes: snapshotBytes + logBytes,
      lastSeq: this.nextSeq - 1,
    };
  }

  quarantined(): QuarantinedRow[] {
    return [];
  }

  private highestSeq(): number {
    return this.data.log.reduce((m, e) => Math.max(m, e.seq), this.data.snapshot?.seq ?? 0);
  }
}
