// Awareness (presence) over the provider's socket: our own state out, everyone's in, stale
// states dropped on disconnect, ours removed on destroy. Only our client id is ever sent:
// the server lets a socket set only the ids it owns (stock y-websocket echoes everyone's).
import * as awarenessProtocol from "y-protocols/awareness";
import { encodeAwareness } from "../protocol/envelope";

type Change = { added: number[]; updated: number[]; removed: number[] };

export class PresenceSync {
  constructor(
    readonly awareness: awarenessProtocol.Awareness,
    /** Sends a frame if connected; drops it otherwise (the next connect announces afresh). */
    private readonly send: (frame: Uint8Array) => void,
  ) {
    awareness.on("update", this.onUpdate);
  }

  private readonly onUpdate = (change: Change, origin: unknown): void => {
    const id = this.awareness.clientID;
    if (origin === this || ![...change.added, ...change.updated, ...change.removed].includes(id))
      return;
    this.send(this.encode([id]));
  };

  private encode(ids: number[]): Uint8Array {
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids));
  }

  /**
   * Just connected: tell the server our state, if we have one, with a new clock — a server
   * that dropped our state when the last connection ended ignores the clock it has seen.
   */
  announce(): void {
    const state = this.awareness.getLocalState();
    if (state !== null) this.awareness.setLocalState(state); // sent by onUpdate
  }

  apply(update: Uint8Array): void {
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this);
  }

  /** Answers a query-awareness message with every state we know. */
  sendAll(): void {
    this.send(this.encode([...this.awareness.getStates().keys()]));
  }

  /**
   * Disconnected: other clients' states can no longer be refreshed, so drop them now, clocks
   * included — the next server may send them again at the clocks we saw, and y-protocols
   * ignores a state whose clock it remembers.
   */
  forgetOthers(): void {
    const others = [...this.awareness.meta.keys()].filter((id) => id !== this.awareness.clientID);
    awarenessProtocol.removeAwarenessStates(this.awareness, others, this);
    for (const id of others) this.awareness.meta.delete(id);
  }

  /** Removes our state (sent while the socket is still open) and stops listening. */
  destroy(): void {
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.awareness.clientID], "destroy");
    this.awareness.off("update", this.onUpdate);
  }
}
