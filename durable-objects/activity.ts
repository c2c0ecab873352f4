// Who wrote through the RPC surface (worker/rpc/): a small table in the object's SQLite, capped by
// count, read by `activity`. Only RPC writes touch it, never the socket path.
import type { ActivityEntry } from "./contract";
import type { Sql } from "./storage/sqlite-log";

const SCHEMA = `CREATE TABLE IF NOT EXISTS es_activity (seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL, actor TEXT NOT NULL, name TEXT, bytes INTEGER NOT NULL, via TEXT NOT NULL)`;

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
