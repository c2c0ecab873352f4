// The rows the RPC surface keeps per document (schemas in schema.ts): agents' peers with their
// leases, and the activity log of RPC writes, capped by count. Queries only: what a peer means
// for presence is agent-peers.ts's business; both tables are wiped with the document.
import type { ActivityEntry } from "../contract";
import type { Sql } from "./sqlite-log";

/** An agent's peer as stored: its awareness state (JSON) and clock, and when its lease ends. */
export interface PeerRow {
  clientId: number;
  actor: string;
  state: string;
  clock: number;
  leaseUntil: number;
}

type Row = { client_id: number; actor: string; state: string; clock: number; lease_until: number };

export class PeerTable {
  constructor(private readonly sql: Sql) {}

  all(): PeerRow[] {
    return this.sql.exec<Row>("SELECT * FROM es_agent_peers").toArray().map(fromRow);
  }

  /** The actor that owns `clientId`, if any. */
  owner(clientId: number): string | null {
    const rows = this.sql
      .exec<{ actor: string }>("SELECT actor FROM es_agent_peers WHERE client_id = ?", clientId)
      .toArray();
    return rows[0]?.actor ?? null;
  }

  put(row: PeerRow): void {
    const { clientId, actor, state, clock, leaseUntil } = row;
    this.sql.exec(
      "INSERT OR REPLACE INTO es_agent_peers VALUES (?, ?, ?, ?, ?)",
      clientId,
      actor,
      state,
      clock,
      leaseUntil,
    );
  }

  /** Removes `actor`'s peer `clientId`; false if there was none. */
  remove(clientId: number, actor: string): boolean {
    const query =
      "DELETE FROM es_agent_peers WHERE client_id = ? AND actor = ? RETURNING client_id";
    return this.sql.exec(query, clientId, actor).toArray().length > 0;
  }

  /** Removes the peers whose lease ended by `now`; returns their client ids. */
  expire(now: number): number[] {
    const query = "DELETE FROM es_agent_peers WHERE lease_until <= ? RETURNING client_id";
    return this.sql
      .exec<{ client_id: number }>(query, now)
      .toArray()
      .map((r) => r.client_id);
  }

  /** When the next lease ends, or null when no peer is shown. */
  nextLeaseEnd(): number | null {
    const query = "SELECT min(lease_until) AS at FROM es_agent_peers";
    return this.sql.exec<{ at: number | null }>(query).one().at ?? null;
  }
}

function fromRow(r: Row): PeerRow {
  const { client_id, actor, state, clock, lease_until } = r;
  return { clientId: client_id, actor, state, clock, leaseUntil: lease_until };
}

export class ActivityTable {
  constructor(
    private readonly sql: Sql,
    private readonly maxRows: number,
  ) {}

  /** Records one write and drops what falls out of the cap (in the write's own commit). */
  record(entry: ActivityEntry): void {
    const { ts, actor, name, bytes, via } = entry;
    const insert =
      "INSERT INTO es_activity (ts, actor, name, bytes, via) VALUES (?, ?, ?, ?, ?) RETURNING seq";
    const { seq } = this.sql.exec<{ seq: number }>(insert, ts, actor, name, bytes, via).one();
    this.sql.exec("DELETE FROM es_activity WHERE seq <= ?", seq - this.maxRows);
  }

  /** The latest `limit` entries, newest first. */
  list(limit: number): ActivityEntry[] {
    return this.sql
      .exec<ActivityEntry & Record<string, SqlStorageValue>>(
        "SELECT ts, actor, name, bytes, via FROM es_activity ORDER BY seq DESC LIMIT ?",
        Math.min(limit, this.maxRows),
      )
      .toArray();
  }
}
