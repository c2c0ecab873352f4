// The document's counters in its own SQLite (schema.ts's es_metrics, wiped with the document):
// key → whole number, added to in place. What each key counts is metrics/counters.ts's business.
import type { Sql } from "./sqlite-log";

export class MetricsTable {
  constructor(private readonly sql: Sql) {}

  /** Every stored counter. */
  all(): Map<string, number> {
    const rows = this.sql
      .exec<{ key: string; value: number }>("SELECT key, value FROM es_metrics")
      .toArray();
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  /** Adds each amount to its counter (in the Durable Object, one commit with the event's other writes). */
  add(amounts: Iterable<[string, number]>): void {
    for (const [key, by] of amounts)
      this.sql.exec(
        "INSERT INTO es_metrics (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
        key,
        by,
      );
  }

  set(key: string, value: number): void {
    this.sql.exec("INSERT OR REPLACE INTO es_metrics (key, value) VALUES (?, ?)", key, value);
  }
}
