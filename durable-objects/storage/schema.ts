// Every table a document keeps in its Durable Object's SQLite, in one place: storage/ owns them
// all, so deleting a document (DocumentStore.wipe) empties every one in one transaction.

/** The tables, each with its schema. A table added here is created on open and wiped on delete. */
export const TABLES = {
  /** The update log, split in parts of at most CHUNK_BYTES, each with its CRC-32. */
  es_log: `(seq INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER, PRIMARY KEY (seq, part))`,
  /** The snapshot, in parts. */
  es_snapshot: `(part INTEGER PRIMARY KEY, data BLOB NOT NULL)`,
  /** Identity, replication state, write totals (keys private to sqlite-log.ts). */
  es_meta: `(key TEXT PRIMARY KEY, value)`,
  /** Damaged rows moved aside by a load, kept for an operator. */
  es_quarantine: `(id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, reason TEXT NOT NULL, data BLOB, at INTEGER NOT NULL)`,
  /** Agents' peers shown in presence, each with its lease (agent-tables.ts). */
  es_agent_peers: `(client_id INTEGER PRIMARY KEY, actor TEXT NOT NULL, state TEXT NOT NULL, clock INTEGER NOT NULL, lease_until INTEGER NOT NULL)`,
  /** Who wrote over RPC, capped by count (agent-tables.ts). */
  es_activity: `(seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL, name TEXT, bytes INTEGER NOT NULL, via TEXT NOT NULL)`,
  /** The document's counters, key → value (metrics-table.ts; docs/operations.md "Metrics"). */
  es_metrics: `(key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
  /**
   * History (history/): every stored update with its time, actor and origin, in parts of at most
   * CHUNK_BYTES (history-store.ts). WITHOUT ROWID: one B-tree keyed by (seq, part), not a rowid
   * table plus an index — one write per change instead of two.
   */
  es_history: `(seq INTEGER NOT NULL, part INTEGER NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL, origin TEXT NOT NULL, bytes INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (seq, part)) WITHOUT ROWID`,
  /** History's checkpoints and named versions: the encoded document through `seq`, in parts. */
  es_checkpoints: `(id INTEGER NOT NULL, part INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, name TEXT, actor TEXT, bytes INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (id, part))`,
} as const;

export type TableName = keyof typeof TABLES;

/**
 * Tables a delete keeps: what must outlive the document. The webhook outbox holds events not yet
 * handed to the queue — `document.deleted` itself, and changes made before the delete
 * (durable-objects/webhooks/) — so the wipe leaves it to drain.
 */
export const KEPT_TABLES = {
  /** Webhook events not yet sent to the queue; a `document.updated` row stays open while its window does. */
  es_webhook_outbox: `(id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, due_at INTEGER NOT NULL, open INTEGER NOT NULL DEFAULT 0, body TEXT, first_seq INTEGER, last_seq INTEGER, last_at INTEGER, actors TEXT, roots TEXT)`,
} as const;

/** The statements that create every table that does not exist yet. */
export function createStatements(): string[] {
  return Object.entries({ ...TABLES, ...KEPT_TABLES }).map(
    ([name, columns]) => `CREATE TABLE IF NOT EXISTS ${name} ${columns}`,
  );
}
