// The document's sockets as the room sees them: each hibernatable WebSocket (a HostSocket) wrapped as a
// Connection whose facts live in its attachment, the sockets the room refused, and closing all.
import type { Connection, ConnectionState } from "./connection";
import type { Handoff } from "./contract";
import type { HostSocket } from "./platform";

export class Sockets {
  private readonly connections = new Map<HostSocket, Connection>();
  /**
   * Sockets the room refused (closed): the frames they still have in flight are dropped before
   * anything else is done with them. Rebuilt from the attachments after a wake (see restore).
   */
  private readonly refused = new WeakSet<HostSocket>();

  /**
   * `all` lists every accepted socket, those that survived hibernation included; `refused` hears
   * of each socket the room closes (a write, a frame or a budget refused).
   */
  constructor(
    private readonly all: () => HostSocket[],
    private readonly refused_: (code: number, reason: string) => void = () => {},
  ) {}

  get size(): number {
    return this.connections.size;
  }

  values(): Iterable<Connection> {
    return this.connections.values();
  }

  /** True for a socket the room closed: its frames are not read. */
  refuses(ws: HostSocket): boolean {
    return this.refused.has(ws);
  }

  /** The document id a socket was opened for (a document not created yet has none stored). */
  docId(): string | null {
    for (const ws of this.all()) {
      const doc = (ws.deserializeAttachment() as ConnectionState | null)?.doc;
      if (doc) return doc;
    }
    return null;
  }

  /** Registers a newly accepted socket with its handoff's facts (written to its attachment). */
  add(ws: HostSocket, handoff: Handoff, ext = false): Connection {
    const { docId: doc, role, exp, sub } = handoff;
    const state: ConnectionState = { id: crypto.randomUUID(), doc, role, exp, aw: {} };
    if (sub) state.sub = sub;
    if (ext) state.ext = true;
    ws.serializeAttachment(state);
    return this.wrap(ws, state);
  }

  /** The connection of a socket, rebuilt from its attachment if it survived hibernation. */
  of(ws: HostSocket): Connection {
    return this.connections.get(ws) ?? this.wrap(ws, ws.deserializeAttachment() as ConnectionState);
  }

  /** After a wake: rebuilds every open socket's connection, and marks the refused ones. */
  restore(): Connection[] {
    const restored: Connection[] = [];
    for (const ws of this.all()) {
      const state = ws.deserializeAttachment() as ConnectionState | null;
      if (state?.refused) this.refused.add(ws);
      else if (state) restored.push(this.wrap(ws, state));
    }
    return restored;
  }

  /** Forgets a socket that closed; returns its connection, if it had one. */
  forget(ws: HostSocket): Connection | undefined {
    const conn = this.connections.get(ws);
    this.connections.delete(ws);
    return conn;
  }

  /** Closes every socket with `code` and forgets every connection. */
  closeAll(code: number, reason: string): void {
    for (const ws of this.all()) closeQuietly(ws, code, reason);
    this.connections.clear();
  }

  private wrap(ws: HostSocket, state: ConnectionState): Connection {
    const conn: Connection = {
      state,
      send: (data) => {
        try {
          ws.send(data);
        } catch {
          // The peer closed and its close event has not reached us yet: nothing to deliver.
          conn.closed = true;
        }
      },
      close: (code, reason) => {
        this.refused.add(ws);
        conn.state.refused = true;
        try {
          ws.serializeAttachment(conn.state);
        } catch {
          // already closed by the peer: no frames will follow
        }
        closeQuietly(ws, code, reason);
        this.refused_(code, reason);
      },
      saveState: () => ws.serializeAttachment(conn.state),
      // workerd counts what a server socket has not written yet (measured growing without bound
      // toward a client that never reads); the room bounds it (chargeSend in budgets.ts).
      queued: () => ws.bufferedAmount,
    };
    this.connections.set(ws, conn);
    return conn;
  }
}

export function closeQuietly(ws: HostSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closing or closed
  }
}
