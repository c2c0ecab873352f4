-- Each document's counters (JSON: loads, connections, frames, updates, updateBytes, compactions,
-- flushes, flushFailures, quarantined, refusals by code) and when its Durable Object wrote them:
-- after each D1 flush and on its metrics timer. GET /v1/metrics sums them (docs/operations.md).
ALTER TABLE documents ADD COLUMN metrics TEXT;
ALTER TABLE documents ADD COLUMN metrics_at INTEGER;
