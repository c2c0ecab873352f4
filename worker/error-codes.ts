// The HTTP error codes the Worker answers by itself, each with its status and a line of doc. The
// codes a document's Durable Object answers are the contract's RpcError. docs/errors.md is
// rendered from both, and test/docs/error-tables.test.ts holds that every code the Worker's
// source answers is here with its status.

/** Every error the Worker answers without asking a document: HTTP status and when. */
export const WorkerError = {
  invalid_doc_id: {
    status: 400,
    doc: "the document name breaks the name rule (docs/document-names.md)",
  },
  invalid_request: {
    status: 400,
    doc: "bad parameters, a body that is not the route's JSON, a document named twice in a batch",
  },
  invalid_state_vector: {
    status: 400,
    doc: "a batch sync document's state vector does not decode",
  },
  invalid_update: { status: 400, doc: "an empty or undecodable update body; nothing was applied" },
  missing_token: { status: 401, doc: "no token (`?token=` or `Authorization: Bearer`)" },
  invalid_token: {
    status: 401,
    doc: "bad signature, algorithm, claims, expired or not yet valid, not canonical base64url",
  },
  unauthorized: {
    status: 401,
    doc: "the app's authorize hook refused with 401 and no code of its own",
  },
  forbidden: { status: 403, doc: "a token for another document, or a role too low for the route" },
  origin_not_allowed: { status: 403, doc: "a browser origin not in ALLOWED_ORIGINS" },
  not_found: { status: 404, doc: "no such route" },
  method_not_allowed: {
    status: 405,
    doc: "a known path with a method it does not serve; `Allow` lists those it does",
  },
  payload_too_large: {
    status: 413,
    doc: "a body over its cap (docs/security.md), refused while it streams",
  },
  too_many_documents: {
    status: 413,
    doc: "`POST /v1/sync` naming more than BATCH_SYNC_MAX_DOCS documents",
  },
  unsupported_media_type: {
    status: 415,
    doc: "`POST …/sync` or `POST /v1/sync` without `Content-Type: application/json`",
  },
  upgrade_required: {
    status: 426,
    doc: "a socket route (`/sync/:id`, `/hocuspocus`, `/mux`) without `Upgrade: websocket`",
  },
  internal_error: { status: 500, doc: "a fault of ours (logged); nothing was done" },
  binding_missing: {
    status: 500,
    doc: "the Durable Object namespace or D1 binding the mount names is not bound",
  },
  invalid_configuration: {
    status: 500,
    doc: "a variable this route reads is malformed or out of bounds (the message names it)",
  },
  auth_not_configured: {
    status: 503,
    doc: "no AUTH_SECRET or JWKS, or an unsafe JWT configuration (the message says which)",
  },
  jwks_unavailable: {
    status: 503,
    doc: "the identity provider's JWKS cannot be fetched; retried after JWKS_MIN_REFRESH_MS",
  },
} as const satisfies Record<string, { status: number; doc: string }>;

export type WorkerErrorCode = keyof typeof WorkerError;
