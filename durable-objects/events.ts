// The document's typed events: the seam features hang on (persistence, activity, agents' peers
// today; history, webhooks and metrics next). Few on purpose, each with one payload object.
// Listeners run synchronously where the event happens: a `stored` listener that writes SQL
// commits with the update; one that throws fails the write like a storage error would.
import type { Connection } from "./connection";
import type { ActivityEntry, Role, RpcErrorCode } from "./contract";
import type { LoadReport } from "./backends";
import type { Room } from "./room";
import type { QuarantinedRow } from "./storage/document-store";

/** Where a stored change came from. */
export type WriteOrigin = "socket" | "rest" | "rpc" | "restore" | "revert";

/**
 * Who made a change: the token's `sub` on a socket ("anonymous" without one), the agent's id
 * over RPC, "http" over REST. REST and RPC writes pass this as the Yjs transaction origin.
 */
export interface Writer {
  origin: WriteOrigin;
  actor: string;
  /** An RPC actor's display name, and which RPC call wrote (see ActivityEntry). */
  name?: string | null;
  via?: ActivityEntry["via"];
}

export interface DocumentEventMap {
  /** The document was loaded (again, after a failure); sockets are restored, none greeted yet. */
  loaded: { docId: string; report: LoadReport; room: Room };
  /** One update was appended to the log (durable once the current output gate opens). */
  stored: Writer & { seq: number; update: Uint8Array };
  /** The log through `throughSeq` was folded into `snapshot` (of `snapshotBytes`), committed. */
  compacted: { throughSeq: number; snapshotBytes: number; backstop: boolean; snapshot: Uint8Array };
  /** A snapshot went to D1 (`ok`), or did not and is retried at `retryAt`. */
  replicated:
    | { ok: true; generation: number; flushedSeq: number; bytes: number }
    | { ok: false; error: string; failures: number; retryAt: number };
  /** A load found damaged rows and moved them aside (they are in `report.quarantined` too). */
  quarantined: { rows: QuarantinedRow[] };
  /** The document was deleted from DO storage and D1; its sockets are closed. */
  deleted: { docId: string; epoch: string };
  /** A socket, REST or RPC request was refused: a close code or an RPC error code. */
  refused: { origin: WriteOrigin; code: number | RpcErrorCode; reason: string };
  /** A socket was accepted (`actor`: its token's `sub`, "anonymous" without one). */
  connected: { actor: string; role: Role };
  /** An accepted socket closed or failed. */
  disconnected: { actor: string; role: Role };
}

export type DocumentEventName = keyof DocumentEventMap;
export type Listener<K extends DocumentEventName> = (event: DocumentEventMap[K]) => void;

export class DocumentEvents {
  private readonly listeners: { [K in DocumentEventName]: Listener<K>[] } = {
    loaded: [],
    stored: [],
    compacted: [],
    replicated: [],
    quarantined: [],
    deleted: [],
    refused: [],
    connected: [],
    disconnected: [],
  };

  /** Subscribes to `name`; returns the unsubscribe. */
  on<K extends DocumentEventName>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners[name] as Listener<K>[];
    list.push(listener);
    return () => list.splice(list.indexOf(listener) >>> 0, 1);
  }

  /** True when someone listens (emitters skip building a payload nobody reads). */
  has(name: DocumentEventName): boolean {
    return this.listeners[name].length > 0;
  }

  emit<K extends DocumentEventName>(name: K, event: DocumentEventMap[K]): void {
    for (const listener of this.listeners[name] as Listener<K>[]) listener(event);
  }
}

/**
 * Emits the `stored` event of an appended update whose Yjs transaction origin was `origin`: a
 * Writer (REST, RPC), else a socket's Connection, named by its token's subject. One object per
 * stored update, and none when nobody listens.
 */
export function emitStored(
  events: DocumentEvents,
  seq: number,
  update: Uint8Array,
  origin: unknown,
): void {
  if (!events.has("stored")) return;
  if (typeof origin === "object" && origin !== null && "origin" in origin)
    return events.emit("stored", { ...(origin as Writer), seq, update });
  const actor = (origin as Connection | null)?.state?.sub ?? "anonymous";
  events.emit("stored", { origin: "socket", actor, seq, update });
}
