-- Webhook events that could not be delivered after every retry (docs/webhooks.md): the dead-letter
-- queue's consumer records each here, keyed by the event's idempotency key, for an operator to
-- inspect and redeliver.
CREATE TABLE IF NOT EXISTS webhook_dead_letters (
  event_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  document_id TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  dead_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_dead_letters_document ON webhook_dead_letters (document_id);
