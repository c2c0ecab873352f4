// What each consumer reads, as a table from its keys to the settings of settings.ts, and where the
// same keys are given in code (the options of createEdgesync and createDocumentObject). Each table
// is read on its own, so a bad variable breaks only what reads that table.
import type { Table } from "./settings";

/** The Durable Object's room: `createDocumentObject({ limits })`. */
export const ROOM_TABLE = {
  maxMessageBytes: "MAX_MESSAGE_BYTES",
  maxDocBytes: "MAX_DOC_BYTES",
  maxDocItems: "MAX_DOC_ITEMS",
  maxDocHeapBytes: "MAX_DOC_HEAP_BYTES",
  rateMessages: "RATE_LIMIT_MESSAGES",
  rateBytes: "RATE_LIMIT_BYTES",
  rateWindowMs: "RATE_LIMIT_WINDOW_MS",
  relayRateBytes: "RELAY_RATE_LIMIT_BYTES",
  maxQueuedBytes: "MAX_QUEUED_BYTES",
  maxStatelessBytes: "MAX_STATELESS_BYTES",
  docRateMessages: "DOC_RATE_LIMIT_MESSAGES",
  docRateWindowMs: "DOC_RATE_LIMIT_WINDOW_MS",
  replyBudgetBytes: "REPLY_BUDGET_BYTES",
  replyRefillMs: "REPLY_BUDGET_REFILL_MS",
  maxAwarenessIdsPerSocket: "MAX_AWARENESS_IDS_PER_SOCKET",
  maxAwarenessBytes: "MAX_AWARENESS_BYTES",
  compactLogRows: "COMPACT_LOG_ROWS",
  compactLogBytes: "COMPACT_LOG_BYTES",
  flushDebounceMs: "D1_FLUSH_DEBOUNCE_MS",
  flushMaxDelayMs: "D1_FLUSH_MAX_DELAY_MS",
  flushRetryBaseMs: "D1_FLUSH_RETRY_BASE_MS",
  flushRetryMaxMs: "D1_FLUSH_RETRY_MAX_MS",
  batchMaxMessages: "BATCH_MAX_MESSAGES",
  batchMaxBytes: "BATCH_MAX_BYTES",
  batchMaxWaitMs: "BATCH_MAX_WAIT_MS",
} as const satisfies Table;

/** Agents' peers and the RPC activity log: `createDocumentObject({ agents })`. */
export const AGENT_TABLE = {
  leaseMs: "AGENT_LEASE_MS",
  activityMaxRows: "ACTIVITY_MAX_ROWS",
} as const satisfies Table;

/** A document's counters (durable-objects/metrics/): `createDocumentObject({ metrics })`. */
export const METRICS_TABLE = {
  writeMs: "METRICS_WRITE_MS",
  log: "METRICS_LOG",
  analyticsBinding: "METRICS_ANALYTICS_BINDING",
} as const satisfies Table;
/** History: `createDocumentObject({ history })`. */
export const HISTORY_TABLE = { retentionDays: "HISTORY_RETENTION_DAYS" } as const satisfies Table;

/** The Worker's body cap: `createEdgesync({ limits: { maxMessageBytes } })`. */
export const MESSAGE_TABLE = { maxMessageBytes: "MAX_MESSAGE_BYTES" } as const satisfies Table;

/** POST /v1/sync: `createEdgesync({ limits: { batch } })`. */
export const BATCH_TABLE = {
  maxDocs: "BATCH_SYNC_MAX_DOCS",
  maxBytes: "BATCH_SYNC_MAX_BYTES",
} as const satisfies Table;

/** GET /hocuspocus: `createEdgesync({ limits: { hocuspocus } })`. */
export const RELAY_TABLE = {
  maxAttaches: "HOCUSPOCUS_MAX_ATTACHES",
  maxPendingDocuments: "HOCUSPOCUS_MAX_PENDING_DOCUMENTS",
  maxPendingBytes: "HOCUSPOCUS_MAX_PENDING_BYTES",
  maxPendingMessages: "HOCUSPOCUS_MAX_PENDING_MESSAGES",
} as const satisfies Table;

/** GET /mux: `createEdgesync({ limits: { mux } })` (the frame cap also follows maxMessageBytes). */
export const MUX_TABLE = {
  maxChannels: "MUX_MAX_CHANNELS",
  maxQueuedBytes: "MUX_MAX_QUEUED_BYTES",
  maxFrameBytes: "MUX_MAX_FRAME_BYTES",
} as const satisfies Table;

/**
 * The reply budget and the unread bound of one relayed connection (/mux, /hocuspocus): the same
 * variables as a direct socket's in the room (ROOM_TABLE), read from the Worker's environment.
 */
export const RELAY_REPLY_TABLE = {
  replyBudgetBytes: "REPLY_BUDGET_BYTES",
  replyRefillMs: "REPLY_BUDGET_REFILL_MS",
  maxUnreadBytes: "MAX_QUEUED_BYTES",
} as const satisfies Table;

/** Browser origins: `createEdgesync({ allowedOrigins })`. */
export const ORIGINS_TABLE = { allowedOrigins: "ALLOWED_ORIGINS" } as const satisfies Table;

/** Tokens: `createEdgesync({ auth: { secret, openAccess } })`. */
export const AUTH_TABLE = {
  secret: "AUTH_SECRET",
  openAccess: "DEV_OPEN_ACCESS",
} as const satisfies Table;

/** Identity-provider tokens: `createEdgesync({ auth: { jwt } })` (createAuth's JwtOptions). */
export const JWT_TABLE = {
  jwksUrl: "JWKS_URL",
  jwks: "JWT_JWKS",
  issuer: "JWT_ISSUER",
  audience: "JWT_AUDIENCE",
  algorithms: "JWT_ALGORITHMS",
  docClaim: "JWT_DOC_CLAIM",
  roleClaim: "JWT_ROLE_CLAIM",
  defaultRole: "JWT_DEFAULT_ROLE",
  clockSkewSeconds: "JWT_CLOCK_SKEW_SECONDS",
  minRefreshMs: "JWKS_MIN_REFRESH_MS",
  maxAgeMs: "JWKS_MAX_AGE_MS",
} as const satisfies Table;

/** The document's webhook outbox: `createDocumentObject({ webhooks })` (docs/webhooks.md). */
export const WEBHOOK_OUTBOX_TABLE = {
  url: "WEBHOOK_URL",
  debounceMs: "WEBHOOK_DEBOUNCE_MS",
  clientEvents: "WEBHOOK_CLIENT_EVENTS",
} as const satisfies Table;

/** The webhook queue's consumer: `createWebhookConsumer(options)` (docs/webhooks.md). */
export const WEBHOOK_DELIVERY_TABLE = {
  url: "WEBHOOK_URL",
  secret: "WEBHOOK_SECRET",
  timeoutMs: "WEBHOOK_TIMEOUT_MS",
  retryBaseSeconds: "WEBHOOK_RETRY_BASE_SECONDS",
  retryMaxSeconds: "WEBHOOK_RETRY_MAX_SECONDS",
} as const satisfies Table;

/** Every table with the option that gives its keys in code, in the reference's order. */
export const TABLES: { table: Table; option: string }[] = [
  { table: MESSAGE_TABLE, option: "createEdgesync: limits" },
  { table: ROOM_TABLE, option: "createDocumentObject: limits" },
  { table: AGENT_TABLE, option: "createDocumentObject: agents" },
  { table: METRICS_TABLE, option: "createDocumentObject: metrics" },
  { table: HISTORY_TABLE, option: "createDocumentObject: history" },
  { table: ORIGINS_TABLE, option: "createEdgesync" },
  { table: BATCH_TABLE, option: "createEdgesync: limits.batch" },
  { table: RELAY_TABLE, option: "createEdgesync: limits.hocuspocus" },
  { table: MUX_TABLE, option: "createEdgesync: limits.mux" },
  { table: AUTH_TABLE, option: "createEdgesync: auth" },
  { table: JWT_TABLE, option: "createEdgesync: auth.jwt" },
  { table: WEBHOOK_OUTBOX_TABLE, option: "createDocumentObject: webhooks" },
  { table: WEBHOOK_DELIVERY_TABLE, option: "createWebhookConsumer" },
];
