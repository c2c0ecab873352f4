// Who wrote through the RPC surface (worker/rpc/): a small table in the object's SQLite, capped by
// count, read by `activity`. Only RPC writes touch it, never the socket path.
import type { ActivityEntry } from "./contract";
import type { Sql } from "./storage/sqlite-log";

/** Entries kept per document; older ones are dropped (env ACTIVITY_MAX_ROWS). */
export const DEFAULT_ACTIVITY_MAX_ROWS = 500;

const SCHEMA = `CREATE TABLE IF NOT EXISTS es_activity (seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL, actor TEXT NOT NULL, name TEXT, bytes INTEGER NOT NULL, via TEXT NOT NULL)`;

/** Reads ACTIVITY_MAX_ROWS from the environment. */
export function activityMaxRows(env: Record<string, unknown>): number {
  const value = Number(env.ACTIVITY_MAX_ROWS ?? DEFAULT_ACTIVITY_MAX_ROWS);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`ACTIVITY_MAX_ROWS must be a positive integer, got ${env.ACTIVITY_MAX_ROWS}`);
  return value;
}

export class ActivityLog {
  private ready = false;

  constructor(
    private readonly sql: Sql,
    private readonly maxRows: number,
  ) {}

  /** Records one write and drops what falls out of the cap (in the write's own commit). */
  record(entry: ActivityEntry): void {
    this.ensure();
    const { ts, actor, name, bytes, via } = entry;
    const { seq } = this.sql
      .exec<{
        seq: number;
      }>(
        "INSERT INTO es_activity (ts, actor, name, bytes, via) VALUES (?, ?, ?, ?, ?) RETURNING seq",
        ts,
        actor,
        name,
        bytes,
        via,
      )
      .one();
    this.sql.exec("DELETE FROM es_activity WHERE seq <= ?", seq - this.maxRows);
  }

  /** The latest `limit` entries, newest first. */
  list(limit: number): ActivityEntry[] {
    this.ensure();
    return this.sql
      .exec<ActivityEntry & Record<string, SqlStorageValue>>(
        "SELECT ts, actor, name, bytes, via FROM es_activity ORDER BY seq DESC LIMIT ?",
        Math.min(limit, this.maxRows),
      )
      .toArray();
  }

  /** Forgets every entry (the document was deleted). */
  clear(): void {
    this.sql.exec("DROP TABLE IF EXISTS es_activity");
    this.ready = false;
  }

  private ensure(): void {
    if (!this.ready) this.sql.exec(SCHEMA);
    this.ready = true;
  }
}
