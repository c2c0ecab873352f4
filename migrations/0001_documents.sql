-- edgesync system of record: the document index and chunked snapshots.
-- `generation` counts snapshot flushes of one document; `epoch` names one incarnation of a
-- document id (a new epoch after DELETE), so stale clients can tell the difference.
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  epoch TEXT NOT NULL,
  generation INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  encoded_size INTEGER NOT NULL,
  update_count INTEGER NOT NULL,
  flushed_seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  flushed_at INTEGER NOT NULL
);

CREATE TABLE snapshot_chunks (
  doc_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  chunk INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (doc_id, generation, chunk)
);
