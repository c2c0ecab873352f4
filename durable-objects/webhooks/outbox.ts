// The webhook outbox: events recorded in the document's own SQLite (table es_webhook_outbox,
// storage/schema.ts) in the same commit as the change they describe, until the outbox timer has
// handed them to the queue. Queries only; what goes in and when it leaves is webhooks.ts's business.
// A `document.updated` row stays open while its debounce window does: each change in the window
// updates that one row (its last sequence number; actors and roots only when one is new).
import type { Sql } from "../storage/sqlite-log";
import type { WebhookEvent } from "../contract/webhooks";

/** The open `document.updated` row: its window so far. */
export interface Window {
  id: number;
  eventId: string;
  at: number;
  /** When the window's last change was stored. */
  lastAt: number;
  dueAt: number;
  firstSeq: number;
  lastSeq: number;
  actors: Set<string>;
  roots: Set<string>;
}

/** An event ready to send: its row and body. */
export type Ready = {
  id: number;
  body: string;
};

type WindowRow = {
  id: number;
  event_id: string;
  at: number;
  last_at: number;
  due_at: number;
  first_seq: number;
  last_seq: number;
  actors: string;
  roots: string;
};

export class Outbox {
  constructor(private readonly sql: Sql) {}

  /** Records a finished event, to be sent at `dueAt`. */
  add(event: WebhookEvent, dueAt: number): void {
    this.sql.exec(
      "INSERT INTO es_webhook_outbox (event_id, type, at, due_at, body) VALUES (?, ?, ?, ?, ?)",
      event.id,
      event.type,
      event.occurredAt,
      dueAt,
      JSON.stringify(event),
    );
  }

  /** Opens a window with its first change; returns its row id. */
  open(eventId: string, at: number, dueAt: number, seq: number, actor: string, roots: string[]) {
    return this.sql
      .exec<{ id: number }>(
        "INSERT INTO es_webhook_outbox (event_id, type, at, last_at, due_at, open, first_seq, last_seq, actors, roots) VALUES (?, 'document.updated', ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id",
        eventId,
        at,
        at,
        dueAt,
        seq,
        seq,
        JSON.stringify([actor]),
        JSON.stringify(roots),
      )
      .one().id;
  }

  /** Extends the open window `id` to change `seq`, stored at `at` (one small UPDATE per change). */
  extend(id: number, seq: number, at: number): void {
    this.sql.exec(
      "UPDATE es_webhook_outbox SET last_seq = ?, last_at = ? WHERE id = ?",
      seq,
      at,
      id,
    );
  }

  /** Extends the open window `id` to `seq` with its new lists of actors and roots. */
  extendLists(id: number, seq: number, at: number, actors: string[], roots: string[]): void {
    this.sql.exec(
      "UPDATE es_webhook_outbox SET last_seq = ?, last_at = ?, actors = ?, roots = ? WHERE id = ?",
      seq,
      at,
      JSON.stringify(actors),
      JSON.stringify(roots),
      id,
    );
  }

  /** The open window, if any (after a restart, memory has none). */
  openWindow(): Window | null {
    const row = this.sql
      .exec<WindowRow>(
        "SELECT id, event_id, at, last_at, due_at, first_seq, last_seq, actors, roots FROM es_webhook_outbox WHERE open = 1 ORDER BY id LIMIT 1",
      )
      .toArray()[0];
    if (!row) return null;
    return {
      id: row.id,
      eventId: row.event_id,
      at: row.at,
      lastAt: row.last_at,
      dueAt: row.due_at,
      firstSeq: row.first_seq,
      lastSeq: row.last_seq,
      actors: new Set(JSON.parse(row.actors) as string[]),
      roots: new Set(JSON.parse(row.roots) as string[]),
    };
  }

  /** Closes window `id` with its finished event, due at `dueAt` at the latest. */
  close(id: number, event: WebhookEvent, dueAt: number): void {
    this.sql.exec(
      "UPDATE es_webhook_outbox SET open = 0, body = ?, due_at = MIN(due_at, ?) WHERE id = ?",
      JSON.stringify(event),
      dueAt,
      id,
    );
  }

  /** Finished events due by `now`, oldest first: at most `count` of them and about `bytes`. */
  ready(now: number, count: number, bytes: number): Ready[] {
    const rows = this.sql
      .exec<Ready>(
        "SELECT id, body FROM es_webhook_outbox WHERE open = 0 AND due_at <= ? ORDER BY id LIMIT ?",
        now,
        count,
      )
      .toArray();
    let total = 0;
    const out: Ready[] = [];
    for (const row of rows) {
      total += row.body.length;
      if (out.length > 0 && total > bytes) break;
      out.push(row);
    }
    return out;
  }

  /** Removes events the queue has accepted. */
  remove(ids: number[]): void {
    for (let i = 0; i < ids.length; i += 90) {
      const part = ids.slice(i, i + 90);
      this.sql.exec(
        `DELETE FROM es_webhook_outbox WHERE id IN (${part.map(() => "?").join(",")})`,
        ...part,
      );
    }
  }

  /** When the outbox next has something to do: the earliest due time of any row, or null. */
  nextDue(): number | null {
    return this.sql
      .exec<{ m: number | null }>("SELECT MIN(due_at) AS m FROM es_webhook_outbox")
      .one().m;
  }

  /** Rows waiting (open windows included) and the time the oldest was recorded. */
  backlog(): { pending: number; oldestAt: number | null } {
    const row = this.sql
      .exec<{ n: number; oldest: number | null }>(
        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM es_webhook_outbox",
      )
      .one();
    return { pending: row.n, oldestAt: row.oldest };
  }
}
