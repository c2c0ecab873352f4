// A document's counters as its Durable Object keeps them (durable-objects/metrics/): part of its
// stats, so plain types that cross the RPC boundary (worker/routes/admin*.ts publishes them).

/** A document's counters: cumulative ones survive restarts (DO SQLite), the rest say "since". */
export interface DocumentMetrics {
  /** Times the document was loaded into memory (a start, a wake after eviction, a reload). */
  loads: number;
  /** Sockets accepted. */
  connectionsAccepted: number;
  /** WebSocket frames received (updates, awareness, sync steps), as far as counted. */
  framesReceived: number;
  /** Updates stored (every change appended to the log; exact). */
  updatesStored: number;
  /** Bytes of the updates stored (exact: log bytes compacted so far plus the log's tail). */
  updateBytesStored: number;
  compactions: number;
  d1Flushes: number;
  d1FlushFailures: number;
  /** Refusals by close code (sockets) or error code (REST, RPC); 4529 is rate limiting. */
  refusals: Record<string, number>;
  /** How far persistence is behind the live document. */
  lag: PersistenceLag;
  /** When the counters last reached D1 (0: not yet), for GET /v1/metrics's totals. */
  d1WrittenAt: number;
}

export interface PersistenceLag {
  /** Updates stored in the DO that D1 does not have yet. */
  unflushedUpdates: number;
  /** Since when D1 lacks a stored change (ms since the epoch), or null when it has them all. */
  unflushedSince: number | null;
  /** Log rows (and their bytes) not folded into the snapshot yet. */
  uncompactedRows: number;
  uncompactedBytes: number;
}
