// Server-side awareness: y-protocols Awareness without its timer, plus ownership rules —
// a socket may only set the client ids it introduced, and at most a few of them.
import * as awarenessProtocol from "y-protocols/awareness";
import type * as Y from "yjs";
import { encodeAwarenessEntries, type AwarenessEntry } from "../protocol/messages";

/** What a socket owns, as kept in its hibernation attachment. */
export type OwnedAwareness = Record<string, [clock: number, state: unknown]>;

/** Serialized awareness states above this size are not kept in the attachment (16 KiB limit). */
export const MAX_ATTACHMENT_AWARENESS_BYTES = 8 * 1024;

export type AwarenessVerdict =
  | { ok: true; update: Uint8Array | null; owned: OwnedAwareness }
  | { ok: false; reason: string };

export class Presence {
  readonly awareness: awarenessProtocol.Awareness;

  constructor(doc: Y.Doc) {
    this.awareness = new awarenessProtocol.Awareness(doc);
    // The Awareness constructor starts a setInterval; timers block hibernation, and sockets'
    // states are removed on close instead of by timeout.
    clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
    this.awareness.setLocalState(null);
  }

  /** Restores states kept in a hibernated socket's attachment after a wake. */
  restore(owned: OwnedAwareness): void {
    const entries: AwarenessEntry[] = Object.entries(owned).map(([id, [clock, state]]) => ({
      clientId: Number(id),
      clock,
      state,
    }));
    if (entries.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(entries), "restore");
  }

  /**
   * Checks an awareness update from a socket against ownership. Entries for ids another
   * socket owns are dropped when they are stale echoes (stock clients re-send what they
   * received) and refused when they try to change that socket's state.
   */
  check(
    entries: AwarenessEntry[],
    raw: Uint8Array,
    owned: OwnedAwareness,
    ownedElsewhere: (clientId: number) => boolean,
    maxIds: number,
  ): AwarenessVerdict {
    const kept: AwarenessEntry[] = [];
    const next: OwnedAwareness = { ...owned };
    for (const entry of entries) {
      const key = String(entry.clientId);
      if (key in next) {
        if (entry.state === null) delete next[key];
        else next[key] = [entry.clock, entry.state];
        kept.push(entry);
        continue;
      }
      const known = this.awareness.meta.get(entry.clientId);
      if (ownedElsewhere(entry.clientId)) {
        if (known && entry.clock <= known.clock) continue; // an echo of what we sent
        return { ok: false, reason: `awareness client ${entry.clientId} belongs to another connection` };
      }
      if (entry.state === null) {
        if (known && entry.clock <= known.clock) continue; // removal of a departed client
        kept.push(entry);
        continue;
      }
      if (known && entry.clock <= known.clock) continue; // stale
      if (Object.keys(next).length >= maxIds) {
        return { ok: false, reason: `a connection may own at most ${maxIds} awareness client ids` };
      }
      next[key] = [entry.clock, entry.state];
      kept.push(entry);
    }
    if (kept.length === 0) return { ok: true, update: null, owned: next };
    const update = kept.length === entries.length ? raw : encodeAwarenessEntries(kept);
    return { ok: true, update, owned: attachmentSized(next) };
  }

  /**
   * Applies a checked update; returns the awareness message payload to broadcast to every
   * socket (the sender included, as the reference server does), or null when nothing changed.
   */
  apply(update: Uint8Array, origin: unknown): Uint8Array | null {
    let changed: number[] = [];
    const onUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
      changed = added.concat(updated, removed);
    };
    this.awareness.on("update", onUpdate);
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, origin);
    } finally {
      this.awareness.off("update", onUpdate);
    }
    return changed.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed) : null;
  }

  /** Removes a closed socket's client ids; returns the removal to broadcast, or null. */
  remove(clientIds: number[]): Uint8Array | null {
    const present = clientIds.filter((id) => this.awareness.states.has(id));
    if (present.length === 0) return null;
    awarenessProtocol.removeAwarenessStates(this.awareness, present, "close");
    return awarenessProtocol.encodeAwarenessUpdate(this.awareness, present);
  }

  /** All current states, for a new socket or a query-awareness; null when there are none. */
  encodeAll(): Uint8Array | null {
    const ids = Array.from(this.awareness.getStates().keys());
    return ids.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids) : null;
  }
}

/** Keeps ownership (ids) always, but drops states from the attachment when they are too large. */
function attachmentSized(owned: OwnedAwareness): OwnedAwareness {
  if (JSON.stringify(owned).length <= MAX_ATTACHMENT_AWARENESS_BYTES) return owned;
  const slim: OwnedAwareness = {};
  for (const [id, [clock]] of Object.entries(owned)) slim[id] = [clock, null];
  return slim;
}
