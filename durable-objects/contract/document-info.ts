// The public facts about one document (GET /v1/docs/:id) and the operational stats they are
// computed from (the `stats`/`info` RPCs), as plain types: the Worker describes `DocumentInfo`
// in its OpenAPI schema (worker/routes/document-info-schema.ts, checked against this type), and
// `documentInfo` picks it out of the Durable Object's `DocumentStats`.
import type { DocumentMetrics } from "./metrics";

/** A stored row found damaged (checksum mismatch or not decodable), moved aside for an operator. */
export interface QuarantinedRow {
  id: number;
  source: string;
  reason: string;
  bytes: number;
  at: number;
}

/** What D1 holds of the document, as far as its Durable Object knows, and the last failure. */
export interface FlushState {
  /** The D1 snapshot generation last written (0 before the first flush). */
  generation: number;
  /** Last log sequence replicated to D1. */
  flushedSeq: number;
  /** Consecutive failed flushes (drives backoff); 0 when healthy. */
  failures: number;
  lastError: string | null;
}

/** Set when a damaged snapshot was rebuilt from D1's generation plus the intact log. */
export interface Recovery {
  from: "d1";
  generation: number;
  /** Updates only the damaged snapshot held (first, last), or null. */
  lostSeqs: number[] | null;
}

/** How the Durable Object last loaded the document. */
export interface LoadSummary {
  source: "storage" | "d1" | "new";
  quarantined: QuarantinedRow[];
  recovered: Recovery | null;
  /** The document does not exist yet and was opened as an empty view. */
  provisional: boolean;
  ms: number;
  /** Its snapshot was left to be applied when first needed. */
  deferred: boolean;
}

/** WebSocket frames handled since the object last started, and in how many batches. */
export interface Batches {
  count: number;
  frames: number;
  largest: number;
}

/** The public facts about a document (the schema the Worker publishes has exactly these). */
export interface DocumentInfo {
  id: string;
  epoch: string;
  encodedSize: number;
  updateCount: number;
  createdAt: number;
  updatedAt: number;
  generation: number;
  connections: number;
  quarantinedRows: number;
  /** Cumulative bytes and operations written to DO storage and D1. */
  written: Record<string, number>;
  batches: Batches;
  lastLoad: Pick<LoadSummary, "source" | "ms" | "deferred" | "recovered"> | null;
  /** The loaded snapshot was still waiting to be applied (this request applied it). */
  snapshotPending: boolean;
}

/** Operational facts about a document as the Durable Object keeps them (tests, operators). */
export interface DocumentStats {
  docId: string;
  epoch: string;
  connections: number;
  logRows: number;
  updateCount: number;
  snapshotBytes: number;
  encodedBytes: number;
  createdAt: number;
  updatedAt: number;
  d1: FlushState;
  written: Record<string, number>;
  quarantined: QuarantinedRow[];
  lastLoad: LoadSummary | null;
  /** A loaded snapshot was still waiting to be applied when these stats were asked for (they apply it). */
  snapshotPending: boolean;
  batches: Batches;
  /** Counters and persistence lag (metrics/; docs/operations.md "Metrics"). */
  metrics: DocumentMetrics;
  /** The webhook outbox's backlog (docs/webhooks.md); null when webhooks are off. */
  webhooks: WebhookBacklog | null;
}

/** Webhook events recorded and not yet handed to the queue (open debounce windows included). */
export interface WebhookBacklog {
  pending: number;
  /** Age of the oldest waiting event in milliseconds; null when none waits. */
  oldestAgeMs: number | null;
}

/** The public info of document `id` (only the fields the schema names: nothing internal leaks). */
export function documentInfo(id: string, stats: DocumentStats): DocumentInfo {
  const { lastLoad } = stats;
  return {
    id,
    epoch: stats.epoch,
    encodedSize: stats.encodedBytes,
    updateCount: stats.updateCount,
    createdAt: stats.createdAt,
    updatedAt: stats.updatedAt,
    generation: stats.d1.generation,
    connections: stats.connections,
    quarantinedRows: stats.quarantined.length,
    written: stats.written,
    batches: stats.batches,
    lastLoad: lastLoad && {
      source: lastLoad.source,
      ms: lastLoad.ms,
      deferred: lastLoad.deferred,
      recovered: lastLoad.recovered,
    },
    snapshotPending: stats.snapshotPending,
  };
}
