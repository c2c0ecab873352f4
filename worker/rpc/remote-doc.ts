// For callers of the RPC surface: a local Y.Doc loaded from `read`, edited with the normal Yjs
// API, of which `flush` sends only what the server has not been sent (the diff against the last
// state vector exchanged), through an edit session that shows the caller in presence.
import * as Y from "yjs";
import type { Actor, AgentCursor, RpcFailure, WriteReply } from "../../durable-objects/contract";
import type { EdgesyncRpc } from "./entrypoint";

/** A refusal from the RPC surface; `code` is the RpcError code (README's error table). */
export class EdgesyncRpcError extends Error {
  readonly code: RpcFailure["code"];
  readonly status: number;
  constructor(failure: RpcFailure) {
    super(`${failure.code}: ${failure.message}`);
    this.code = failure.code;
    this.status = failure.status;
  }
}

type Binding = Service<EdgesyncRpc>;
type Session = Extract<Awaited<ReturnType<Binding["open"]>>, { ok: true }>["session"];

export class RemoteDoc {
  /** The local copy: edit it with the normal Yjs API, then `flush`. */
  readonly doc = new Y.Doc();
  /** State vector of what the server is known to hold of ours (after a read, pull or flush). */
  private sent: Uint8Array;
  /** Local edits since the last flush (a deletion leaves the state vector as it was). */
  private dirty = false;

  private constructor(
    private readonly rpc: Binding,
    readonly docId: string,
    private readonly session: Session,
    initial: Uint8Array | null,
  ) {
    if (initial) Y.applyUpdate(this.doc, initial, this);
    this.sent = Y.encodeStateVector(this.doc);
    this.doc.on("update", (_: Uint8Array, origin: unknown) => {
      if (origin !== this) this.dirty = true;
    });
  }

  /** Opens an edit session as `actor` and loads the document (empty if it does not exist yet). */
  static async open(rpc: Binding, docId: string, options: { actor: Actor }): Promise<RemoteDoc> {
    const read = await rpc.read(docId);
    if (!read.ok && read.code !== "document_not_found") throw new EdgesyncRpcError(read);
    const opened = await rpc.open(docId, options.actor);
    if (!opened.ok) throw new EdgesyncRpcError(opened);
    return new RemoteDoc(rpc, docId, opened.session, read.ok ? read.update : null);
  }

  /**
   * Sends the local changes since the last flush (only those) and places the peer's cursor;
   * resolves once they are durable. With nothing to send, renews the peer's presence.
   */
  async flush(cursor: AgentCursor | null = null): Promise<WriteReply | null> {
    if (!this.dirty) {
      const renewed = await this.session.presence(cursor);
      if (!renewed.ok) throw new EdgesyncRpcError(renewed);
      return null;
    }
    const update = Y.encodeStateAsUpdate(this.doc, this.sent);
    const vector = Y.encodeStateVector(this.doc);
    this.dirty = false;
    const written = await this.session.apply(update, cursor).catch((err: unknown) => {
      this.dirty = true; // not sent: the next flush sends it again (a write is idempotent)
      throw err;
    });
    if (!written.ok) {
      this.dirty = true;
      throw new EdgesyncRpcError(written);
    }
    this.sent = vector;
    return written;
  }

  /** Applies what others wrote since (the server's diff against our state vector). */
  async pull(): Promise<void> {
    const diff = await this.rpc.diff(this.docId, Y.encodeStateVector(this.doc));
    if (!diff.ok) throw new EdgesyncRpcError(diff);
    Y.applyUpdate(this.doc, diff.update, this);
    this.sent = Y.encodeStateVector(this.doc);
  }

  /**
   * A cursor at `index` of `type` (both ends there), as clients' editors read it; tied to the
   * character before it, so it stays where this caller writes while others insert elsewhere.
   */
  cursorAt(type: Y.AbstractType<unknown>, index: number): AgentCursor {
    const position = Y.createRelativePositionFromTypeIndex(type, index, -1);
    // Plain JSON: its ids are class instances, which RPC does not serialize.
    const at: unknown = JSON.parse(JSON.stringify(Y.relativePositionToJSON(position)));
    return { anchor: at, head: at };
  }

  /** Flushes what is left, then ends the session: the peer leaves presence. */
  async commit(cursor: AgentCursor | null = null): Promise<void> {
    if (this.dirty) await this.flush(cursor);
    const done = await this.session.commit();
    if (!done.ok) throw new EdgesyncRpcError(done);
  }

  /** Abandons the session (what was flushed stays): the peer leaves presence. */
  async close(): Promise<void> {
    const done = await this.session.close();
    if (!done.ok) throw new EdgesyncRpcError(done);
  }
}
