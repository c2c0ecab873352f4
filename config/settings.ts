// Every setting of edgesync in one table: its environment variable, kind, bounds, default and one
// line of doc. Both halves read it through `read.ts` (this folder imports nothing of worker/ or
// durable-objects/), and docs/configuration.md is generated from it (reference.test.ts).

/** Whole numbers: a count, a size in bytes, a duration in milliseconds. */
export type NumberKind = "int" | "bytes" | "ms";
export type SettingKind = NumberKind | "bool" | "string" | "list";

export interface NumberSetting {
  kind: NumberKind;
  /** Absent: unset unless given (`defaultText` says what applies then). */
  default?: number;
  min: number;
  max: number;
  doc: string;
  defaultText?: string;
}
export interface BoolSetting {
  kind: "bool";
  default: boolean;
  doc: string;
}
export interface StringSetting {
  kind: "string";
  default?: string;
  doc: string;
  /** Never echoed in an error, kept as given (not trimmed). */
  secret?: boolean;
}
export interface ListSetting {
  kind: "list";
  default: readonly string[];
  doc: string;
}
export type Setting = NumberSetting | BoolSetting | StringSetting | ListSetting;

/** What a setting reads as: unset strings and numbers without a default stay `undefined`. */
export type ValueOf<S extends Setting> = S extends BoolSetting
  ? boolean
  : S extends ListSetting
    ? string[]
    : S extends { kind: NumberKind; default: number }
      ? number
      : S extends NumberSetting
        ? number | undefined
        : S extends { default: string }
          ? string
          : string | undefined;

const KiB = 1024;
const MiB = 1024 * KiB;
const NO_MAX = Number.MAX_SAFE_INTEGER;

/** A number setting with a default (it always reads as a number). */
type Counted = NumberSetting & { default: number };

const count = (value: number, doc: string): Counted => ({
  kind: "int",
  default: value,
  min: 1,
  max: NO_MAX,
  doc,
});
const bytes = (value: number, doc: string): Counted => ({
  kind: "bytes",
  default: value,
  min: 1,
  max: NO_MAX,
  doc,
});
const ms = (value: number, doc: string, min = 1): Counted => ({
  kind: "ms",
  default: value,
  min,
  max: NO_MAX,
  doc,
});
const text = <D extends string | undefined>(value: D, doc: string) =>
  ({ kind: "string", default: value, doc }) as StringSetting & { default: D };

/** Every setting, by its environment variable (wrangler.toml [vars] or a secret). */
export const SETTINGS = {
  // ---- Both halves: the Worker caps bodies with it, the Durable Object caps frames. ----
  MAX_MESSAGE_BYTES: bytes(
    4 * MiB,
    "largest WebSocket message or HTTP update (1009 / 413 beyond); the /mux frame cap follows it",
  ),
  // ---- The Durable Object: one document's room. ----
  // A document is bounded by its estimated heap (durable-objects/doc-heap.ts, weights measured in
  // workerd, docs/limits.md): three documents at the budget leave a 128 MB isolate ~30 MB for the
  // runtime, the Worker and the copies made while encoding and sending.
  MAX_DOC_HEAP_BYTES: bytes(
    32 * MiB,
    "estimated heap one loaded document may hold (4413 beyond): ~7 MB of text, 0.6 MB of tiny JSON objects (docs/limits.md)",
  ),
  // The wire and storage cap: snapshots (chunked in D1), first syncs. The heap budget binds first
  // for every shape but deletions (a deleted range costs few bytes of heap and few encoded).
  MAX_DOC_BYTES: bytes(16 * MiB, "largest encoded document (4413 beyond)"),
  MAX_DOC_ITEMS: count(
    50_000,
    "most Yjs structs in a document, 0.2–0.7 KB of heap each (4413 beyond)",
  ),
  RATE_LIMIT_MESSAGES: count(10_000, "messages one socket may send per rate window (4529 beyond)"),
  RATE_LIMIT_BYTES: bytes(64 * MiB, "bytes one socket may send per rate window (4529 beyond)"),
  RATE_LIMIT_WINDOW_MS: ms(10_000, "length of a socket's rate window"),
  // Presence is hundreds of bytes a change: this is 30 changes of a full 64 KiB state per window.
  RELAY_RATE_LIMIT_BYTES: bytes(
    2 * MiB,
    "awareness and stateless bytes one socket may send per rate window (4529 beyond; echoes free)",
  ),
  // A reader on a 1 Mbit/s link drains 1 MiB in ~8 s; ten sockets that never read hold ~10 MB.
  MAX_QUEUED_BYTES: bytes(
    1 * MiB,
    "broadcast bytes waiting unread toward one socket (4529 beyond; replies it asked for excluded)",
  ),
  // Hocuspocus apps send small signals (cursors, pings, app events), like awareness states.
  MAX_STATELESS_BYTES: bytes(64 * KiB, "largest stateless message a socket may send (1009)"),
  DOC_RATE_LIMIT_MESSAGES: count(
    2_000,
    "messages a document's sockets may send together per window (the heaviest get 4529)",
  ),
  DOC_RATE_LIMIT_WINDOW_MS: ms(1_000, "length of the document's shared rate window"),
  REPLY_BUDGET_BYTES: bytes(
    16 * MiB,
    "bytes of replies (step 2, awareness states) one socket may cause before 4529",
  ),
  REPLY_BUDGET_REFILL_MS: ms(10 * 60_000, "time in which a spent reply budget refills completely"),
  MAX_AWARENESS_IDS_PER_SOCKET: count(4, "awareness client ids one socket may introduce"),
  MAX_AWARENESS_BYTES: bytes(64 * KiB, "largest awareness message a socket may send (1009)"),
  COMPACT_LOG_ROWS: count(1000, "log rows that trigger compaction into a snapshot"),
  COMPACT_LOG_BYTES: bytes(1 * MiB, "log bytes that trigger compaction into a snapshot"),
  D1_FLUSH_DEBOUNCE_MS: ms(2_000, "quiet time after the last change before D1 replication"),
  D1_FLUSH_MAX_DELAY_MS: ms(30_000, "longest a change waits for D1 replication while edits go on"),
  D1_FLUSH_RETRY_BASE_MS: ms(1_000, "first retry delay after a failed D1 flush (then doubled)"),
  D1_FLUSH_RETRY_MAX_MS: ms(5 * 60_000, "cap on the D1 flush retry delay"),
  BATCH_MAX_MESSAGES: count(256, "queued WebSocket frames handled at once, without waiting"),
  BATCH_MAX_BYTES: bytes(1 * MiB, "queued frame bytes handled at once, without waiting"),
  BATCH_MAX_WAIT_MS: ms(5, "longest a frame waits for others to join its batch"),
  // Below the 30 s after which stock clients drop an awareness state nobody renewed.
  AGENT_LEASE_MS: ms(15_000, "how long an agent's peer stays shown without a write or renewal"),
  ACTIVITY_MAX_ROWS: count(500, "RPC write records kept per document (older ones dropped)"),
  METRICS_WRITE_MS: ms(
    30_000,
    "longest a document's counter change waits to be copied to D1 for GET /v1/metrics",
  ),
  METRICS_LOG: {
    kind: "bool",
    default: true,
    doc: "print one JSON line per significant document event (load, compaction, flush, refusal…)",
  } as BoolSetting,
  METRICS_ANALYTICS_BINDING: text(
    undefined,
    "name of a Workers Analytics Engine binding that also receives each log line's event (off when unset)",
  ),
  // ---- The Durable Object: history (docs/history.md). ----
  HISTORY_RETENTION_DAYS: {
    kind: "int",
    default: 30,
    min: 0,
    max: 36_500,
    doc: "days every change is kept to read, restore and revert (docs/history.md); 0 turns history off",
  } as Counted,
  // ---- The Worker. ----
  ALLOWED_ORIGINS: {
    kind: "list",
    default: ["*"],
    doc: "browser origins allowed to connect and call the REST API (CORS), comma-separated; `*` any",
  } as ListSetting,
  // Each document costs one Durable Object call, a subrequest: Cloudflare allows 1,000 to its own
  // services per invocation on every plan, so 200 stays well inside.
  BATCH_SYNC_MAX_DOCS: count(200, "most documents one POST /v1/sync may name (413 beyond)"),
  // The Worker holds the body, its JSON and the decoded updates at once (~3×) in 128 MB.
  BATCH_SYNC_MAX_BYTES: bytes(8 * MiB, "largest POST /v1/sync body (413 beyond)"),
  // Each attach or channel is one subrequest of the socket's invocation, and Workers cap them (50
  // Free, 10,000 Paid as of 2026); a new socket starts a new budget.
  HOCUSPOCUS_MAX_ATTACHES: count(1_000, "documents one /hocuspocus socket may attach in its life"),
  HOCUSPOCUS_MAX_PENDING_DOCUMENTS: count(100, "documents waiting for their Auth message at once"),
  HOCUSPOCUS_MAX_PENDING_BYTES: bytes(
    5 * MiB,
    "bytes held for documents not authenticated yet (the socket closes beyond)",
  ),
  HOCUSPOCUS_MAX_PENDING_MESSAGES: count(
    1_000,
    "frames held for documents not authenticated yet (the socket closes beyond)",
  ),
  MUX_MAX_CHANNELS: count(1_000, "channels one /mux socket may open in its life (4529 beyond)"),
  MUX_MAX_QUEUED_BYTES: bytes(
    1 * MiB,
    "bytes one /mux socket may queue, all its channels together, while their documents open",
  ),
  MUX_MAX_FRAME_BYTES: {
    kind: "bytes",
    min: 1,
    max: NO_MAX,
    doc: "deprecated: largest /mux frame (1009 beyond); set MAX_MESSAGE_BYTES instead",
    defaultText: "MAX_MESSAGE_BYTES + 16 KiB",
  } as NumberSetting,
  // ---- The Worker: who may do what (README "Security"). ----
  AUTH_SECRET: {
    kind: "string",
    doc: "HS256 token secret (`wrangler secret put`); without it or a JWKS, requests fail closed",
    secret: true,
  } as StringSetting & { default: undefined },
  DEV_OPEN_ACCESS: {
    kind: "bool",
    default: false,
    doc: "`true`: no token needed when no other auth is set (local development only)",
  } as BoolSetting,
  JWKS_URL: text(undefined, "your identity provider's JWKS URL (RS256/ES256 tokens)"),
  JWT_JWKS: text(undefined, 'inline public keys instead of a URL: `{ "keys": [ … ] }`'),
  JWT_ISSUER: {
    kind: "list",
    default: [],
    doc: "required with a JWKS: accepted `iss` values, comma-separated",
  } as ListSetting,
  JWT_AUDIENCE: {
    kind: "list",
    default: [],
    doc: "required with a JWKS: accepted `aud` values, comma-separated",
  } as ListSetting,
  JWT_ALGORITHMS: {
    kind: "list",
    default: ["RS256", "ES256"],
    doc: "accepted `alg` values (asymmetric only)",
  } as ListSetting,
  JWT_DOC_CLAIM: text("doc", "claim holding the document id or a prefix ending in `*`"),
  JWT_ROLE_CLAIM: text("role", "claim holding the role (`read`, `write`, `admin`)"),
  JWT_DEFAULT_ROLE: text(undefined, "role of a token without a role claim (else refused)"),
  JWT_CLOCK_SKEW_SECONDS: {
    kind: "int",
    default: 60,
    min: 0,
    max: 300,
    doc: "tolerance in seconds for the IdP's clock on `exp` and `nbf`",
  } as Counted,
  // A token with an unknown `kid` refetches only this long after the last fetch, so a flood of
  // made-up kids costs the IdP at most one request per interval.
  JWKS_MIN_REFRESH_MS: ms(30_000, "least time between two JWKS fetches by one isolate", 0),
  JWKS_MAX_AGE_MS: ms(10 * 60_000, "age after which a fetched JWKS is fetched again", 0),
  // Webhooks (docs/webhooks.md): events recorded in each document's outbox, sent through a queue.
  WEBHOOK_URL: text(
    undefined,
    "where webhook events are delivered; unset: no events are recorded or queued (docs/webhooks.md)",
  ),
  WEBHOOK_SECRET: {
    kind: "string",
    doc: "HMAC-SHA256 key signing each delivery (`wrangler secret put`); required with WEBHOOK_URL",
    secret: true,
  } as StringSetting & { default: undefined },
  WEBHOOK_DEBOUNCE_MS: ms(
    2_000,
    "a document's changes within this window after its first one are one `document.updated` event",
  ),
  WEBHOOK_CLIENT_EVENTS: {
    kind: "bool",
    default: false,
    doc: "also send `client.joined` and `client.left` for every socket",
  } as BoolSetting,
  WEBHOOK_TIMEOUT_MS: ms(10_000, "a delivery not answered within this time is retried"),
  WEBHOOK_RETRY_BASE_SECONDS: {
    kind: "int",
    default: 30,
    min: 0,
    max: 43_200,
    doc: "delay before a failed delivery's first retry; doubles per attempt",
  } as Counted,
  WEBHOOK_RETRY_MAX_SECONDS: {
    kind: "int",
    default: 3_600,
    min: 0,
    max: 43_200,
    doc: "cap on the retry delay (the queue's max_retries bounds the attempts)",
  } as Counted,
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
/** A table: each key of what a consumer reads, and the setting it reads it from. */
export type Table = Record<string, SettingName>;
/** What reading `T` gives. */
export type Values<T extends Table> = {
  -readonly [K in keyof T]: ValueOf<(typeof SETTINGS)[T[K]]>;
};
