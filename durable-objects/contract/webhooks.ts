// The webhook events a document records in its outbox and the Worker's queue consumer delivers
// (docs/webhooks.md): the one body shape both halves agree on. The consumer reads `id` and `type`
// and passes the rest on as recorded.

/** Every event type; `version.created` is recorded by history (docs/history.md) when it is on. */
export const WEBHOOK_EVENT_TYPES = [
  "document.created",
  "document.updated",
  "document.deleted",
  "client.joined",
  "client.left",
  "version.created",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What `document.updated` carries: the changes of one debounce window. */
export interface DocumentUpdatedData {
  /**
   * The document's state vector after the window's last change (Yjs encoding, base64); "" when
   * it is too large for a queue message (over 96 KB of base64: tens of thousands of clients).
   */
  stateVector: string;
  /** The log sequence numbers of the window's changes, first and last (inclusive). */
  seq: { first: number; last: number };
  /** Who made them (a socket token's `sub`, an agent's id, "http" for REST); at most MAX_LISTED. */
  actors: string[];
  /** Names of the root types they changed (`doc.get(name)`); at most MAX_LISTED. */
  roots: string[];
  /** When the last change of the window was stored (ms since the epoch). */
  lastChangeAt: number;
}

/** What `client.joined` and `client.left` carry. */
export interface ClientData {
  /** The socket token's `sub` ("anonymous" without one). */
  actor: string;
  role: string;
}

export interface WebhookEvent {
  /** The idempotency key: every delivery of this event has it (also the Webhook-Id header). */
  id: string;
  type: WebhookEventType;
  documentId: string;
  /** The document's incarnation: a document deleted and created again under its id has a new one. */
  epoch: string;
  /** When it happened, ms since the epoch (for `document.updated`, the window's first change). */
  occurredAt: number;
  data: Record<string, unknown>;
}

/** Actors and root names listed per `document.updated` event at most (the rest are left out). */
export const MAX_LISTED = 50;
