// Server-side awareness: y-protocols Awareness without its timer, ownership rules (a socket
// may only set the client ids it introduced, and at most a few of them), and the clocks we
// forward, chosen so that a client that reconnects is seen again at once (PROTOCOL.md).
//
// Receivers apply a state only if its clock is above the one they remember, and they remember
// clocks of clients they have dropped. So we keep two clocks per client id: the owner's own
// (what its socket sends and is sent back, so we never override its local state) and the room
// clock (what everybody else is sent), which we may raise above the owner's by an offset.
// An id new to this instance gets the current Unix second as its offset: clients may remember
// it from an earlier instance (before a deploy restarted the object, or before a hibernation,
// which forgets departed clients) at clocks that grew by less than the seconds since then.
import * as awarenessProtocol from "y-protocols/awareness";
import type * as Y from "yjs";
import { encodeAwareness, encodeAwarenessEntries, type AwarenessEntry } from "../protocol/messages";
import type { Connection, OwnedAwareness } from "./connection";

export type { OwnedAwareness };

/** Serialized awareness states above this size are not kept in the attachment (16 KiB limit). */
export const MAX_ATTACHMENT_AWARENESS_BYTES = 8 * 1024;

/** `changed` is false when the update held nothing new (an echo of what was sent). */
export type AwarenessVerdict = { ok: true; changed: boolean } | { ok: false; reason: string };

type Change = { added: number[]; updated: number[]; removed: number[] };

export class Presence {
  readonly awareness: awarenessProtocol.Awareness;
  /** Counts connects and departures, to order them (in memory: reset by hibernation). */
  private serial = 0;
  /** Client ids whose state was removed, with the serial of the removal. */
  private readonly departed = new Map<number, number>();
  /** Client ids the server itself shows (agents' peers, agent-peers.ts): no socket may set them. */
  private readonly serverOwned = new Set<number>();

  constructor(
    doc: Y.Doc,
    private readonly connections: () => Iterable<Connection>,
    private readonly now: () => number = Date.now,
    /**
     * Delivers an awareness message to one socket (the room counts them; see Budgets); `reply`
     * for the states a socket is greeted with, which it asked for by connecting.
     */
    private readonly send: (conn: Connection, message: Uint8Array, reply?: boolean) => void = (
      c,
      m,
    ) => c.send(m),
  ) {
    this.awareness = new awarenessProtocol.Awareness(doc);
    // The Awareness constructor starts a setInterval; timers block hibernation, and sockets'
    // states are removed on close instead of by timeout.
    clearInterval(
      (this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })
        ._checkInterval,
    );
    this.awareness.setLocalState(null);
  }

  /** Restores states kept in a hibernated socket's attachment after a wake. */
  restore(owned: OwnedAwareness): void {
    const entries: AwarenessEntry[] = Object.entries(owned).map(([id, [clock, state, offset]]) => ({
      clientId: Number(id),
      clock: clock + (offset ?? 0),
      state,
    }));
    if (entries.length > 0)
      awarenessProtocol.applyAwarenessUpdate(
        this.awareness,
        encodeAwarenessEntries(entries),
        "restore",
      );
  }

  /**
   * Greets a new socket with every current state. It may be a client that was here before
   * and still remembers these clocks (stock clients forget states on disconnect, not clocks),
   * so every state's room clock is raised by one first; the others just see a clock skipped.
   */
  connect(conn: Connection): void {
    conn.openedAt = ++this.serial;
    for (const other of this.connections()) {
      if (other === conn || other.closed) continue;
      let raised = false;
      for (const [key, owned] of Object.entries(other.state.aw)) {
        const id = Number(key);
        const meta = this.awareness.meta.get(id);
        if (!meta || !this.awareness.states.has(id)) continue;
        this.awareness.meta.set(id, { clock: meta.clock + 1, lastUpdated: meta.lastUpdated });
        owned[2] = (owned[2] ?? 0) + 1;
        raised = true;
      }
      if (raised) other.saveState();
    }
    for (const id of this.serverOwned) {
      const meta = this.awareness.meta.get(id);
      if (meta)
        this.awareness.meta.set(id, { clock: meta.clock + 1, lastUpdated: meta.lastUpdated });
    }
    const greeting = this.encodeAllFor(conn);
    if (greeting) this.send(conn, greeting, true);
  }

  /**
   * Every current state as an awareness message for `conn` (a greeting, or the answer to a
   * query-awareness), with its own ids at its own clocks; null when there are none.
   */
  encodeAllFor(conn: Connection): Uint8Array | null {
    const ids = Array.from(this.awareness.getStates().keys());
    if (ids.length === 0) return null;
    const entries = ids.map((id) => {
      const { clock } = this.awareness.meta.get(id)!;
      return {
        clientId: id,
        clock: clock - (conn.state.aw[String(id)]?.[2] ?? 0),
        state: this.awareness.states.get(id),
      };
    });
    return encodeAwareness(encodeAwarenessEntries(entries));
  }

  /**
   * Applies an awareness update from `conn` and forwards what changed to every socket (the
   * sender included, as the reference server does). Entries for ids another socket owns are
   * dropped when they are stale echoes (stock clients re-send what they received) and refused
   * when they try to change that socket's state.
   */
  receive(conn: Connection, entries: AwarenessEntry[], maxIds: number): AwarenessVerdict {
    const next: OwnedAwareness = { ...conn.state.aw };
    const room: AwarenessEntry[] = []; // as everyone else is sent them
    const own: AwarenessEntry[] = []; // as the sender sent them
    for (const entry of entries) {
      const key = String(entry.clientId);
      const known = this.awareness.meta.get(entry.clientId);
      let offset = 0;
      const mine = next[key];
      if (mine) {
        if (entry.clock < mine[0] || (entry.clock === mine[0] && entry.state !== null)) continue; // nothing new
        offset = mine[2] ?? 0;
        if (entry.state === null) delete next[key];
        else next[key] = offset ? [entry.clock, entry.state, offset] : [entry.clock, entry.state];
      } else if (this.ownedElsewhere(entry.clientId, conn)) {
        if (known && entry.clock <= known.clock) continue; // an echo of what we sent
        return {
          ok: false,
          reason: `awareness client ${entry.clientId} belongs to another connection`,
        };
      } else if (entry.state === null) {
        if (known && entry.clock <= known.clock) continue; // removal of a departed client
      } else {
        if (!known) {
          offset = Math.floor(this.now() / 1000); // see the header
        } else if (entry.clock <= known.clock) {
          // Either an echo of a departed client's state, or that client back on a new socket
          // with the clock it had: only the latter is possible if nothing was sent since.
          if (!this.neverSent(conn, entry.clientId)) continue;
          offset = known.clock + 1 - entry.clock;
        }
        if (Object.keys(next).length >= maxIds) {
          return {
            ok: false,
            reason: `a connection may own at most ${maxIds} awareness client ids`,
          };
        }
        next[key] = offset ? [entry.clock, entry.state, offset] : [entry.clock, entry.state];
      }
      room.push({ ...entry, clock: entry.clock + offset });
      own.push(entry);
    }
    if (room.length === 0) return { ok: true, changed: false };
    conn.state.aw = attachmentSized(next);
    conn.saveState();
    const changed = this.apply(room, conn);
    if (changed.size === 0) return { ok: true, changed: false };
    const message = encodeAwareness(
      awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...changed]),
    );
    const shifted = room.some((e, i) => changed.has(e.clientId) && e.clock !== own[i]!.clock);
    const back = shifted
      ? encodeAwareness(encodeAwarenessEntries(own.filter((e) => changed.has(e.clientId))))
      : message;
    for (const other of this.connections()) {
      if (!other.closed) this.send(other, other === conn ? back : message);
    }
    return { ok: true, changed: true };
  }

  /** Removes a closed socket's client ids and tells the others. */
  disconnect(conn: Connection): void {
    const ids = Object.keys(conn.state.aw).map(Number);
    conn.state.aw = {};
    const present = ids.filter((id) => this.awareness.states.has(id));
    if (present.length === 0) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, present, "close");
    this.noteDeparted(present);
    const message = encodeAwareness(
      awarenessProtocol.encodeAwarenessUpdate(this.awareness, present),
    );
    for (const other of this.connections()) {
      if (other !== conn && !other.closed) this.send(other, message);
    }
  }

  /**
   * Shows a peer the server owns (an agent's), or removes it with a null state, at `clock` (at
   * least one above the last) and tells every socket; `quiet` restores it without telling anyone
   * (after a wake, the sockets still show it). Returns the clock used.
   */
  setServerState(clientId: number, state: unknown, clock: number, quiet = false): number {
    const known = this.awareness.meta.get(clientId)?.clock ?? 0;
    const next = Math.max(clock, known + 1);
    if (state === null) {
      this.serverOwned.delete(clientId);
      if (!this.awareness.states.has(clientId)) return next;
    } else this.serverOwned.add(clientId);
    awarenessProtocol.applyAwarenessUpdate(
      this.awareness,
      encodeAwarenessEntries([{ clientId, clock: next, state }]),
      "server",
    );
    if (state === null) this.noteDeparted([clientId]);
    if (quiet) return next;
    const message = encodeAwareness(
      awarenessProtocol.encodeAwarenessUpdate(this.awareness, [clientId]),
    );
    for (const conn of this.connections()) if (!conn.closed) this.send(conn, message);
    return next;
  }

  /** Applies entries in room clocks; returns the ids whose state or clock changed. */
  private apply(entries: AwarenessEntry[], origin: Connection): Set<number> {
    let change: Change = { added: [], updated: [], removed: [] };
    const onUpdate = (c: Change) => (change = c);
    this.awareness.on("update", onUpdate);
    try {
      awarenessProtocol.applyAwarenessUpdate(
        this.awareness,
        encodeAwarenessEntries(entries),
        origin,
      );
    } finally {
      this.awareness.off("update", onUpdate);
    }
    this.noteDeparted(change.removed);
    for (const id of [...change.added, ...change.updated]) this.departed.delete(id);
    return new Set([...change.added, ...change.updated, ...change.removed]);
  }

  private noteDeparted(ids: number[]): void {
    for (const id of ids) this.departed.set(id, ++this.serial);
  }

  /** True when `conn` opened after `clientId` departed: we cannot have sent it that state. */
  private neverSent(conn: Connection, clientId: number): boolean {
    const departedAt = this.departed.get(clientId);
    return departedAt !== undefined && conn.openedAt !== undefined && conn.openedAt > departedAt;
  }

  private ownedElsewhere(clientId: number, except: Connection): boolean {
    if (this.serverOwned.has(clientId)) return true;
    const key = String(clientId);
    for (const other of this.connections()) {
      if (other !== except && !other.closed && key in other.state.aw) return true;
    }
    return false;
  }
}

/** Keeps ownership (ids, clocks) always, but drops states from the attachment when too large. */
function attachmentSized(owned: OwnedAwareness): OwnedAwareness {
  if (JSON.stringify(owned).length <= MAX_ATTACHMENT_AWARENESS_BYTES) return owned;
  const slim: OwnedAwareness = {};
  for (const [id, [clock, , offset]] of Object.entries(owned))
    slim[id] = offset ? [clock, null, offset] : [clock, null];
  return slim;
}
