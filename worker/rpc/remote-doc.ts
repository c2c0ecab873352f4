// For callers of the RPC surface: a local Y.Doc loaded from `read`, edited with the normal Yjs
// API, of which `flush` sends only what the server has not been sent (the diff against the last
// state vector exchanged), through an edit session that shows the caller in presence.
import * as Y from "yjs";
import type {
  Actor,
  AgentCursor,
  RpcFailure,
  RpcResult,
  WriteReply,
} from "../../durable-objects/contract";
import type { EdgesyncRpc } from "./entrypoint";

/** Tries of one session call: a lost connection or a 503 is tried again on a fresh session. */
export const REMOTE_DOC_ATTEMPTS = 3;
/** Pause before trying again, doubled each time. */
export const REMOTE_DOC_RETRY_MS = 100;

/** A refusal from the RPC surface; `code` is the RpcError code (docs/errors.md). */
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
type Opened = Extract<Awaited<ReturnType<Binding["open"]>>, { ok: true }>;
type Session = Opened["session"];

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
    private readonly actor: Actor,
    private opened: Opened,
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
    return new RemoteDoc(rpc, docId, options.actor, opened, read.ok ? read.update : null);
  }

  /** The awareness client id of this caller's peer. */
  get clientId(): number {
    return this.opened.clientId;
  }

  /**
   * Sends the local changes since the last flush (only those) and places the peer's cursor;
   * resolves once they are durable. With nothing to send, renews the peer's presence.
   */
  async flush(cursor: AgentCursor | null = null): Promise<WriteReply | null> {
    if (!this.dirty) {
      await this.call((s) => s.presence(cursor));
      return null;
    }
    const update = Y.encodeStateAsUpdate(this.doc, this.sent);
    const vector = Y.encodeStateVector(this.doc);
    this.dirty = false;
    try {
      // Sent again after a failure is harmless: applying an update twice changes nothing.
      const written = await this.call<WriteReply>((s) => s.apply(update, cursor));
      this.sent = vector;
      return written;
    } catch (err) {
      this.dirty = true; // not sent: the next flush sends it
      throw err;
    }
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types its types this way
  cursorAt(type: Y.AbstractType<any>, index: number): AgentCursor {
    const position = Y.createRelativePositionFromTypeIndex(type, index, -1);
    // Plain JSON: its ids are class instances, which RPC does not serialize.
    const at: unknown = JSON.parse(JSON.stringify(Y.relativePositionToJSON(position)));
    return { anchor: at, head: at };
  }

  /** Flushes what is left, then ends the session: the peer leaves presence. */
  async commit(cursor: AgentCursor | null = null): Promise<void> {
    if (this.dirty) await this.flush(cursor);
    await this.call((s) => s.commit());
  }

  /** Abandons the session (what was flushed stays): the peer leaves presence. */
  async close(): Promise<void> {
    await this.call((s) => s.close());
  }

  /**
   * One session call. A refusal throws at once; a lost connection (the call threw) or a 503 is
   * tried again on a fresh session with the same peer id, so people see one peer throughout.
   */
  private async call<T>(op: (session: Session) => PromiseLike<unknown>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let result: RpcResult<T> | null = null;
      let thrown: unknown = null;
      try {
        result = (await op(this.opened.session)) as RpcResult<T>; // what the method answers
      } catch (err) {
        thrown = err;
      }
      if (result?.ok) return result;
      const transient = thrown !== null || result?.status === 503;
      if (!transient || attempt >= REMOTE_DOC_ATTEMPTS) {
        throw thrown ?? new EdgesyncRpcError(result as RpcFailure);
      }
      await new Promise((r) => setTimeout(r, REMOTE_DOC_RETRY_MS * 2 ** (attempt - 1)));
      const reopened = await this.rpc
        .open(this.docId, this.actor, this.opened.clientId)
        .catch(() => null);
      if (reopened?.ok) this.opened = reopened;
    }
  }
}
