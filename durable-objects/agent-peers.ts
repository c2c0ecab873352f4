// Agents as visible peers: the awareness states the Durable Object shows on behalf of RPC callers
// (worker/rpc/), each held by a lease. Kept in the object's SQLite so that a hibernation or a
// restart neither forgets a peer nor leaves one shown forever: a timer removes expired ones.
import type { Actor, AgentPeer } from "./contract";
import type { Presence } from "./presence";
import type { PeerTable } from "./storage/agent-tables";

/** Colour of an agent that names none. */
export const DEFAULT_AGENT_COLOR = "#8a2be2";
/**
 * Awareness clocks of agents' peers advance at least one per this many milliseconds, so a peer
 * restored after a wake (at its stored clock) is still ahead of any clock a socket was sent.
 */
const CLOCK_TICK_MS = 100;

/** The name of the timer that expires leases. */
export const AGENT_LEASE_TIMER = "agent-leases";

export class AgentPeers {
  constructor(
    private readonly table: PeerTable,
    readonly leaseMs: number,
    /** Asks for the lease timer (AGENT_LEASE_TIMER) to run at this time, no later. */
    private readonly wakeAt: (at: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows again the peers whose lease still runs (after a load); the timer expires the rest. */
  restore(presence: Presence): void {
    const rows = this.table.all();
    for (const row of rows)
      presence.setServerState(row.clientId, JSON.parse(row.state), row.clock, true);
    if (rows.length > 0) this.wakeAt(this.now());
  }

  /**
   * Shows (or updates) `actor`'s peer with its cursor and renews its lease. Refused (false) when
   * the client id is another actor's.
   */
  show(presence: Presence, actor: Actor, peer: AgentPeer): boolean {
    const owner = this.table.owner(peer.clientId);
    if (owner !== null && owner !== actor.id) return false;
    const state = {
      user: { name: actor.name ?? actor.id, color: actor.color ?? DEFAULT_AGENT_COLOR },
      agent: actor.id,
      ...(peer.cursor ? { cursor: peer.cursor } : {}),
    };
    const now = this.now();
    const clock = presence.setServerState(peer.clientId, state, Math.floor(now / CLOCK_TICK_MS));
    const leaseUntil = now + this.leaseMs;
    const json = JSON.stringify(state);
    this.table.put({ clientId: peer.clientId, actor: actor.id, state: json, clock, leaseUntil });
    this.wakeAt(leaseUntil);
    return true;
  }

  /** Removes `actor`'s peer and tells every socket; false if it was not shown. */
  leave(presence: Presence, actor: Actor, clientId: number): boolean {
    if (!this.table.remove(clientId, actor.id)) return false;
    presence.setServerState(clientId, null, Math.floor(this.now() / CLOCK_TICK_MS));
    return true;
  }

  /** Removes the peers whose lease ran out; returns when the next lease ends, or null. */
  expire(presence: Presence): number | null {
    const now = this.now();
    for (const clientId of this.table.expire(now))
      presence.setServerState(clientId, null, Math.floor(now / CLOCK_TICK_MS));
    return this.table.nextLeaseEnd();
  }
}
