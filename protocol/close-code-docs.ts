// A line of doc for each WebSocket close code of close-codes.ts, kept apart so the client SDK's
// bundle does not carry the prose. The close-code tables of docs/errors.md and PROTOCOL.md are
// rendered from it (test/docs/error-tables.test.ts); a code without a line does not compile.
import type { CloseCode } from "./close-codes";

/** For each close code: a short name and what it means (Markdown). */
export const CLOSE_CODE_DOCS = {
  MessageTooBig: {
    name: "message too big",
    meaning:
      "a frame exceeded `MAX_MESSAGE_BYTES`, or an awareness / stateless message exceeded `MAX_AWARENESS_BYTES` / `MAX_STATELESS_BYTES` (64 KiB each)",
  },
  ProtocolError: {
    name: "protocol error",
    meaning:
      "malformed frame: bad varint, unknown message type, not a Yjs update, stray text frame",
  },
  Unauthenticated: {
    name: "unauthenticated",
    meaning:
      "the token expired while the socket was open (checked on every message and by alarm), or, for a client that connected with `ext=1`, the upgrade was refused because the token is missing or invalid (HTTP `401` for other clients); reconnect only with a new token",
  },
  Forbidden: {
    name: "forbidden",
    meaning:
      "changed another socket's awareness, or too many awareness ids; for a client that connected with `ext=1`, also an upgrade refused with `403` (a token for another document, an origin not allowed)",
  },
  DocumentDeleted: {
    name: "document deleted",
    meaning: "deleted while open, or the client's `epoch` is stale; drop local state",
  },
  NotMigrated: {
    name: "D1 not migrated",
    meaning:
      "the server's D1 database lacks edgesync's tables: an operator must run `wrangler d1 migrations apply <binding>`; the reason says so",
  },
  DocumentTooLarge: {
    name: "document too large",
    meaning:
      "the update would take the document past its memory budget (`MAX_DOC_HEAP_BYTES`), `MAX_DOC_BYTES` or `MAX_DOC_ITEMS`; it was not applied",
  },
  InternalError: {
    name: "internal error",
    meaning:
      "unexpected server error; nothing from the failing frame was kept and the in-memory document is reloaded from storage",
  },
  DocumentUnavailable: {
    name: "document unavailable",
    meaning:
      'loading from storage or D1 failed, the storage is unreadable, or it is damaged with no intact copy (reason says "damaged"); nothing was served or written. For a client that connected with `ext=1`, also an upgrade refused with `503` (`auth_not_configured`, or the identity provider\'s JWKS unreachable: `jwks_unavailable`)',
  },
  RateLimited: {
    name: "rate limited",
    meaning:
      "more than `RATE_LIMIT_MESSAGES` messages or `RATE_LIMIT_BYTES` bytes per `RATE_LIMIT_WINDOW_MS` (reason `rate limit exceeded`); more than an equal share of the document's `DOC_RATE_LIMIT_MESSAGES` per `DOC_RATE_LIMIT_WINDOW_MS` while the document is over it (`document busy: …`); step 2 / awareness replies it asked for beyond `REPLY_BUDGET_BYTES` (`reply budget … exceeded`); awareness and stateless bytes beyond `RELAY_RATE_LIMIT_BYTES` per window (`relay rate exceeded …`); more than `MAX_QUEUED_BYTES` of broadcasts waiting unread toward it (`not reading: …`). Awareness frames that only echo states the server already has are not counted",
  },
} as const satisfies Record<keyof typeof CloseCode, { name: string; meaning: string }>;
