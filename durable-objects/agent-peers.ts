// Agents as visible peers: the awareness states the Durable Object shows on behalf of RPC callers
// (worker/rpc/), each held by a lease. Kept in the object's SQLite so that a hibernation or a
// restart neither forgets a peer nor leaves one shown forever: the alarm removes expired ones.
import type { Actor, AgentPeer } from "./contract";
import type { Presence } from "./presence";
import type { Sql } from "./storage/sqlite-log";

/** Colour of an agent that names none. */
export const DEFAULT_AGENT_COLOR = "#8a2be2";
/**
 * Awareness clocks of agents' peers advance at least one per this many milliseconds, so a peer
 * restored after a wake (at its stored clock) is still ahead of any clock a socket was sent.
 */
const CLOCK_TICK_MS = 100;

const SCHEMA = `CREATE TABLE IF NOT EXISTS es_agent_peers (client_id INTEGER PRIMARY KEY,
  actor TEXT NOT NULL, state TEXT NOT NULL, clock INTEGER NOT NULL, lease_until INTEGER NOT NULL)`;

type PeerRow = { client_id: number; actor: string; state: string; clock: number };

export class AgentPeers {
  private ready = false;

  constructor(
    private readonly sql: Sql,
    readonly leaseMs: number,
    /** Asks for the alarm at this time (no later) to expire a lease. */
    private readonly scheduleAlarm: (at: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows again the peers whose lease still runs (after a load); the alarm expires the rest. */
  restore(presence: Presence): void {
    if (!this.exists()) return;
    const rows = this.sql.exec<PeerRow>("SELECT * FROM es_agent_peers").toArray();
    for (const row of rows)
      presence.setServerState(row.client_id, JSON.parse(row.state), row.clock, true);
    if (rows.length > 0) this.scheduleAlarm(this.now());
  }

  /**
   * Shows (or updates) `actor`'s peer with its cursor and renews its lease. Refused (false) when
   * the client id is another actor's.
   */
  show(presence: Presence, actor: Actor, peer: AgentPeer): boolean {
    this.ensure();
    const owner = this.sql
      .exec<{ actor: string }>(
        "SELECT actor FROM es_agent_peers WHERE client_id = ?",
        peer.clientId,
      )
      .toArray()[0];
    if (owner && owner.actor !== actor.id) return false;
    const state = {
      user: { name: actor.name ?? actor.id, color: actor.color ?? DEFAULT_AGENT_COLOR },
      agent: actor.id,
      ...(peer.cursor ? { cursor: peer.cursor } : {}),
    };
    const now = this.now();
    const clock = presence.setServerState(peer.clientId, state, Math.floor(now / CLOCK_TICK_MS));
    const leaseUntil = now + this.leaseMs;
    this.sql.exec(
      "INSERT OR REPLACE INTO es_agent_peers VALUES (?, ?, ?, ?, ?)",
      peer.clientId,
      actor.id,
      JSON.stringify(state),
      clock,
      leaseUntil,
    );
    this.scheduleAlarm(leaseUntil);
    return true;
  }

  /** Removes `actor`'s peer and tells every socket; false if it was not shown. */
  leave(presence: Presence, actor: Actor, clientId: number): boolean {
    if (!this.exists()) return false;
    const removed = this.sql
      .exec(
        "DELETE FROM es_agent_peers WHERE client_id = ? AND actor = ? RETURNING client_id",
        clientId,
        actor.id,
      )
      .toArray();
    if (removed.length === 0) return false;
    presence.setServerState(clientId, null, Math.floor(this.now() / CLOCK_TICK_MS));
    return true;
  }

  /** Removes the peers whose lease ran out; returns when the next lease ends, or null. */
  expire(presence: Presence): number | null {
    if (!this.exists()) return null;
    const now = this.now();
    const expired = this.sql
      .exec<{
        client_id: number;
      }>("DELETE FROM es_agent_peers WHERE lease_until <= ? RETURNING client_id", now)
      .toArray();
    for (const { client_id } of expired)
      presence.setServerState(client_id, null, Math.floor(now / CLOCK_TICK_MS));
    const next = this.sql
      .exec<{ at: number | null }>("SELECT min(lease_until) AS at FROM es_agent_peers")
      .one().at;
    return next ?? null;
  }

  /** Forgets every peer (the document was deleted; its sockets are closed). */
  clear(): void {
    this.sql.exec("DROP TABLE IF EXISTS es_agent_peers");
    this.ready = false;
  }

  /** Whether the table exists: a document no agent ever joined gets none. */
  private exists(): boolean {
    if (this.ready) return true;
    this.ready =
      this.sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'es_agent_peers'")
        .toArray().length > 0;
    return this.ready;
  }

  private ensure(): void {
    if (this.ready) return;
    this.sql.exec(SCHEMA);
    this.ready = true;
  }
}
