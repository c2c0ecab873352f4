// Named limits and thresholds for a document room, and the agents' settings. Each is a setting of
// config/settings.ts (its variable, bounds, default) read by the one reader, config/read.ts;
// createDocumentObject's options override the environment (docs/configuration.md).
import { defaultsOf, readTable } from "../config/read";
import { AGENT_TABLE, HISTORY_TABLE, METRICS_TABLE, ROOM_TABLE } from "../config/tables";

export interface RoomLimits {
  /** Largest accepted WebSocket/HTTP message in bytes; larger frames close with 1009. */
  maxMessageBytes: number;
  /**
   * Largest encoded document in bytes, a wire and storage cap (snapshots, first syncs); an update
   * that would exceed it is refused with 4413. The heap budget binds first for most shapes.
   */
  maxDocBytes: number;
  /**
   * Estimated heap a loaded document may hold (durable-objects/doc-heap.ts); an update that would
   * take it further is refused with 4413.
   */
  maxDocHeapBytes: number;
  /** Most Yjs structs in the document's store (its heap: 0.2–0.7 KB each); past it, 4413 too. */
  maxDocItems: number;
  /** Messages a socket may send per rate window before it is closed with 4529. */
  rateMessages: number;
  /** Bytes a socket may send per rate window before it is closed with 4529. */
  rateBytes: number;
  /**
   * Bytes of awareness and stateless messages a socket may send per rate window before it is
   * closed with 4529: each is sent on to every socket, so a flood costs the document its size
   * times the sockets (echoes of what it was sent are free, as for the message rate).
   */
  relayRateBytes: number;
  /** Length of the rate-limit window in milliseconds. */
  rateWindowMs: number;
  /** Messages a document's sockets may send together per doc window before the heaviest are closed with 4529. */
  docRateMessages: number;
  /** Length of the document's shared rate window in milliseconds. */
  docRateWindowMs: number;
  /** Bytes of requested replies (step 2, awareness states) one socket may cause before 4529. */
  replyBudgetBytes: number;
  /** Time in milliseconds in which a socket's spent reply budget refills completely. */
  replyRefillMs: number;
  /** Awareness client ids one socket may introduce (stock clients use one). */
  maxAwarenessIdsPerSocket: number;
  /**
   * Largest awareness message a socket may send (1009 beyond it). Presence states are names,
   * colours and cursors — hundreds of bytes — yet every socket is sent every state on connect:
   * this bounds what a few sockets can make the server hold and send to everyone.
   */
  maxAwarenessBytes: number;
  /**
   * Bytes of broadcasts (updates, awareness, stateless) that may wait unread toward one socket;
   * past it the socket is closed with 4529 (a client that never reads held them all in memory).
   */
  maxQueuedBytes: number;
  /** Largest stateless message (relayed to every other socket) a socket may send; 1009 beyond it. */
  maxStatelessBytes: number;
  /** Log rows that trigger compaction into a snapshot. */
  compactLogRows: number;
  /** Log bytes that trigger compaction into a snapshot. */
  compactLogBytes: number;
  /** Quiet period after the last change before the document is replicated to D1. */
  flushDebounceMs: number;
  /** Longest a change may wait for D1 replication while edits keep coming. */
  flushMaxDelayMs: number;
  /** First retry delay after a failed D1 flush; doubles per failure up to flushRetryMaxMs. */
  flushRetryBaseMs: number;
  /** Cap on the D1 flush retry delay. */
  flushRetryMaxMs: number;
  /** Queued WebSocket frames that are handled at once, without waiting for more. */
  batchMaxMessages: number;
  /** Queued bytes that are handled at once. */
  batchMaxBytes: number;
  /** Longest a frame waits for others to join its batch while frames keep arriving. */
  batchMaxWaitMs: number;
}

/** The defaults of config/settings.ts (MAX_DOC_BYTES… name each there, with its reason). */
export const DEFAULT_LIMITS: RoomLimits = defaultsOf(ROOM_TABLE);

/** The limits: `given` (createDocumentObject's, checked) over the environment over the defaults. */
export function limitsFromEnv(
  env: Record<string, unknown>,
  given: Partial<RoomLimits> = {},
): RoomLimits {
  return readTable(ROOM_TABLE, env, given);
}

/** Agents' peers and the RPC activity log (createDocumentObject's `agents`). */
export interface AgentSettings {
  /** How long an agent's peer stays shown without a write or a presence renewal (AGENT_LEASE_MS). */
  leaseMs: number;
  /** Activity entries kept per document; older ones are dropped (ACTIVITY_MAX_ROWS). */
  activityMaxRows: number;
}

/** The agent settings: `given` over the environment over the defaults. */
export function agentSettingsFromEnv(
  env: Record<string, unknown>,
  given: Partial<AgentSettings> = {},
): AgentSettings {
  return readTable(AGENT_TABLE, env, given);
}

/** A document's counters (createDocumentObject's `metrics`). */
export interface MetricsConfig {
  /** Longest a counter change waits to be copied to D1 (METRICS_WRITE_MS). */
  writeMs: number;
  /** Print one JSON line per significant event (METRICS_LOG). */
  log: boolean;
  /** A Workers Analytics Engine binding's name (METRICS_ANALYTICS_BINDING); unset: none. */
  analyticsBinding?: string | undefined;
}

/** The metrics settings: `given` over the environment over the defaults. */
export function metricsConfigFromEnv(
  env: Record<string, unknown>,
  given: Partial<MetricsConfig> = {},
): MetricsConfig {
  return readTable(METRICS_TABLE, env, given);
}

/** History (createDocumentObject's `history`). */
export interface HistoryOptions {
  /** Days every change is kept; 0 turns history off (HISTORY_RETENTION_DAYS). */
  retentionDays: number;
}

/** The history settings: `given` over the environment over the defaults. */
export function historyFromEnv(
  env: Record<string, unknown>,
  given: Partial<HistoryOptions> = {},
): HistoryOptions {
  return readTable(HISTORY_TABLE, env, given);
}

/** Rows in DO SQLite and D1 must stay under 2 MB; snapshots and large updates are split at this size. */
export const CHUNK_BYTES = 512 * 1024;
