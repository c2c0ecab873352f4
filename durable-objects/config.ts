// Named limits and thresholds for a document room. Every number is overridable through the
// Worker's environment (wrangler.toml [vars]); see README "Configuration".

export interface RoomLimits {
  /** Largest accepted WebSocket/HTTP message in bytes; larger frames close with 1009. */
  maxMessageBytes: number;
  /** Largest encoded document in bytes; an update that would exceed it is refused with 4413. */
  maxDocBytes: number;
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

export const DEFAULT_LIMITS: RoomLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  // Both sized so one document stays under ~48 MiB of heap in a 128 MB isolate: up to 34 B of
  // heap per encoded byte (JSON values), 0.66 KB per struct (bench/memory-shapes.mjs, README).
  maxDocBytes: 1024 * 1024,
  maxDocItems: 50_000,
  rateMessages: 10_000,
  rateBytes: 64 * 1024 * 1024,
  // Presence is hundreds of bytes a change: this is 30 changes of a full 64 KiB state per window.
  relayRateBytes: 2 * 1024 * 1024,
  rateWindowMs: 10_000,
  docRateMessages: 2_000,
  docRateWindowMs: 1_000,
  replyBudgetBytes: 16 * 1024 * 1024,
  replyRefillMs: 10 * 60_000,
  maxAwarenessIdsPerSocket: 4,
  maxAwarenessBytes: 64 * 1024,
  // A reader on a 1 Mbit/s link drains 1 MiB in ~8 s (further behind, a reconnect's step 2 is
  // cheaper); ten sockets that never read hold ~10 MB. Replies it asked for do not count.
  maxQueuedBytes: 1024 * 1024,
  // Hocuspocus apps send small signals (cursors, pings, app events), like awareness states.
  maxStatelessBytes: 64 * 1024,
  compactLogRows: 1000,
  compactLogBytes: 1024 * 1024,
  flushDebounceMs: 2_000,
  flushMaxDelayMs: 30_000,
  flushRetryBaseMs: 1_000,
  flushRetryMaxMs: 5 * 60_000,
  batchMaxMessages: 256,
  batchMaxBytes: 1024 * 1024,
  batchMaxWaitMs: 5,
};

/** Environment variable names for each limit (string values parsed as integers). */
const ENV_NAMES: Record<keyof RoomLimits, string> = {
  maxMessageBytes: "MAX_MESSAGE_BYTES",
  maxDocBytes: "MAX_DOC_BYTES",
  maxDocItems: "MAX_DOC_ITEMS",
  rateMessages: "RATE_LIMIT_MESSAGES",
  rateBytes: "RATE_LIMIT_BYTES",
  relayRateBytes: "RELAY_RATE_LIMIT_BYTES",
  rateWindowMs: "RATE_LIMIT_WINDOW_MS",
  docRateMessages: "DOC_RATE_LIMIT_MESSAGES",
  docRateWindowMs: "DOC_RATE_LIMIT_WINDOW_MS",
  replyBudgetBytes: "REPLY_BUDGET_BYTES",
  replyRefillMs: "REPLY_BUDGET_REFILL_MS",
  maxAwarenessIdsPerSocket: "MAX_AWARENESS_IDS_PER_SOCKET",
  maxAwarenessBytes: "MAX_AWARENESS_BYTES",
  maxQueuedBytes: "MAX_QUEUED_BYTES",
  maxStatelessBytes: "MAX_STATELESS_BYTES",
  compactLogRows: "COMPACT_LOG_ROWS",
  compactLogBytes: "COMPACT_LOG_BYTES",
  flushDebounceMs: "D1_FLUSH_DEBOUNCE_MS",
  flushMaxDelayMs: "D1_FLUSH_MAX_DELAY_MS",
  flushRetryBaseMs: "D1_FLUSH_RETRY_BASE_MS",
  flushRetryMaxMs: "D1_FLUSH_RETRY_MAX_MS",
  batchMaxMessages: "BATCH_MAX_MESSAGES",
  batchMaxBytes: "BATCH_MAX_BYTES",
  batchMaxWaitMs: "BATCH_MAX_WAIT_MS",
};

/** Reads limits from environment variables, falling back to the defaults. */
export function limitsFromEnv(env: Record<string, unknown>): RoomLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as (keyof RoomLimits)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${ENV_NAMES[key]} must be a positive number, got ${JSON.stringify(raw)}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** Rows in DO SQLite and D1 must stay under 2 MB; snapshots and large updates are split at this size. */
export const CHUNK_BYTES = 512 * 1024;
