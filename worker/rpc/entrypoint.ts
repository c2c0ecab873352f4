// The typed Workers RPC surface for other Workers and agents: bind it with
// `[[services]] binding = "EDGESYNC", service = "edgesync", entrypoint = "EdgesyncRpc"`. Every
// write goes through the document object's one write verdict (REST's path), so refusals carry
// the same codes as REST and, via WRITE_REFUSAL_ON_SOCKET, the same as a socket's close codes.
import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
import * as Y from "yjs";
import {
  actorProblem,
  failure,
  type ActivityReply,
  type Actor,
  type AgentCursor,
  type AgentRpc,
  type DocumentRpc,
  type HistoryActivityReply,
  type HistoryPoint,
  type HistoryRpc,
  type RestoreReply,
  type VersionReply,
  type VersionsReply,
  type PresenceReply,
  type RpcFailure,
  type RpcResult,
  type UpdateReply,
  type WriteReply,
} from "../../durable-objects/contract";
import { docNameProblem } from "../../protocol/doc-name";
import {
  historyQueryProblem,
  pointProblem,
  revertProblem,
  versionNameProblem,
} from "./history-checks";
import { DEFAULT_BINDINGS } from "../settings";

/** `read`: the document as one update, and its state vector. */
export type ReadReply = { update: Uint8Array; stateVector: Uint8Array };
/** `open`: an edit session and its peer's awareness client id, or why not. */
export type OpenReply = RpcResult<{ session: EditSession; clientId: number }>;
/** Activity entries one `activity` call returns unless it asks for fewer. */
export const DEFAULT_ACTIVITY_LIMIT = 100;

type Stub = DocumentRpc & AgentRpc & HistoryRpc;
type Bindings = Record<string, unknown>;
type Namespace = DurableObjectNamespace<Stub & Rpc.DurableObjectBranded>;
type NamespaceOf = () => Namespace;

export interface EdgesyncRpcOptions {
  /** Name of the document objects' Durable Object binding. Default: DOCUMENTS. */
  documents?: string;
}

/** The entrypoint class for another binding name; export it under the name your callers bind. */
export function createEdgesyncRpc(options: EdgesyncRpcOptions = {}): typeof EdgesyncRpc {
  for (const key of Object.keys(options))
    if (key !== "documents") throw new Error(`createEdgesyncRpc: unknown option ${key}`);
  const documents = options.documents ?? DEFAULT_BINDINGS.documents;
  if (!/^[A-Za-z_$][\w$]*$/.test(documents))
    throw new Error(`createEdgesyncRpc: documents must be a binding name, got ${documents}`);
  return class extends EdgesyncRpc {
    static override readonly documents = documents;
  };
}

export class EdgesyncRpc extends WorkerEntrypoint<Bindings> {
  /** The Durable Object binding this class reads (createEdgesyncRpc sets another). */
  static readonly documents: string = DEFAULT_BINDINGS.documents;

  /** The document objects' namespace, by this class's binding name (looked up per call). */
  private readonly ns: NamespaceOf = () =>
    namespaceOf(this.env, (this.constructor as typeof EdgesyncRpc).documents);

  /** The whole document as one update, with its state vector. */
  async read(docId: string): Promise<RpcResult<ReadReply>> {
    const bad = idProblem(docId);
    if (bad) return bad;
    const read = await call(this.ns, docId, (stub) => stub.getUpdate(docId, null));
    return read.ok ? { ...read, stateVector: Y.encodeStateVectorFromUpdate(read.update) } : read;
  }

  /** What `stateVector` lacks, as one update (apply it to the caller's copy). */
  async diff(docId: string, stateVector: Uint8Array): Promise<RpcResult<UpdateReply>> {
    const bad = idProblem(docId) ?? bytesProblem(stateVector, "invalid_state_vector");
    if (bad) return bad;
    return call(this.ns, docId, (stub) => stub.getUpdate(docId, stateVector));
  }

  /** Applies one update as `actor`; answers once it is durable (the rule of the saved ack). */
  async apply(docId: string, update: Uint8Array, actor: Actor): Promise<RpcResult<WriteReply>> {
    const bad = idProblem(docId) ?? actorRefusal(actor) ?? bytesProblem(update, "invalid_update");
    if (bad) return bad;
    return call(this.ns, docId, (stub) => stub.agentWrite(docId, update, actor, "apply", null));
  }

  /**
   * Opens `docId` for a series of edits as `actor`, shown in presence as its own peer (name,
   * colour, cursor) until `commit` or `close`, or until its lease runs out (AGENT_LEASE_MS).
   * `clientId` reopens a session of the same actor under the same peer (after a lost call).
   */
  async open(docId: string, actor: Actor, clientId?: number): Promise<OpenReply> {
    const bad = idProblem(docId) ?? actorRefusal(actor) ?? clientIdProblem(clientId);
    if (bad) return bad;
    const id = clientId ?? randomClientId();
    const session = new EditSession(this.ns, docId, actor, id);
    const shown = await session.presence(null);
    return shown.ok ? { ok: true, session, clientId: id } : shown;
  }

  // ---- history (docs/history.md) ----

  /** The document at a version or a time, as one update, with its state vector. */
  async readAt(docId: string, point: HistoryPoint): Promise<RpcResult<ReadReply>> {
    const bad = idProblem(docId) ?? pointProblem(point);
    if (bad) return bad;
    const read = await call(this.ns, docId, (stub) => stub.getUpdateAt(docId, point, null));
    return read.ok ? { ...read, stateVector: Y.encodeStateVectorFromUpdate(read.update) } : read;
  }

  /** Named versions and checkpoints, newest first, a page at a time. */
  async versions(
    docId: string,
    page: { cursor?: string; limit?: number; named?: boolean } = {},
  ): Promise<RpcResult<VersionsReply>> {
    const bad = idProblem(docId) ?? historyQueryProblem(page);
    if (bad) return bad;
    const query = {
      cursor: page.cursor ?? null,
      limit: page.limit ?? DEFAULT_ACTIVITY_LIMIT,
      named: page.named === true,
    };
    return call(this.ns, docId, (stub) => stub.versions(docId, query));
  }

  /** Names the document's current state as a version by `actor`. */
  async createVersion(docId: string, name: string, actor: Actor): Promise<RpcResult<VersionReply>> {
    const bad = idProblem(docId) ?? actorRefusal(actor) ?? versionNameProblem(name);
    if (bad) return bad;
    return call(this.ns, docId, (stub) => stub.createVersion(docId, name, actor.id));
  }

  /** Every stored change (any origin), newest first: by actor and time range, a page at a time. */
  async changes(
    docId: string,
    query: { cursor?: string; limit?: number; actor?: string; from?: number; to?: number } = {},
  ): Promise<RpcResult<HistoryActivityReply>> {
    const bad = idProblem(docId) ?? historyQueryProblem(query);
    if (bad) return bad;
    const q = {
      cursor: query.cursor ?? null,
      limit: query.limit ?? DEFAULT_ACTIVITY_LIMIT,
      actor: query.actor ?? null,
      from: query.from ?? null,
      to: query.to ?? null,
    };
    return call(this.ns, docId, (stub) => stub.historyActivity(docId, q));
  }

  /** Brings back the content at a version or time as a forward change by `actor`. */
  async restore(
    docId: string,
    point: HistoryPoint,
    actor: Actor,
  ): Promise<RpcResult<RestoreReply>> {
    const bad = idProblem(docId) ?? actorRefusal(actor) ?? pointProblem(point);
    if (bad) return bad;
    return call(this.ns, docId, (stub) => stub.restore(docId, point, actor.id));
  }

  /**
   * Removes the changes `target.actor` (an agent run's id) made between `from` and `to`, keeping
   * everyone else's, as a forward change by `actor`.
   */
  async revert(
    docId: string,
    target: { actor: string; from: number; to: number },
    actor: Actor,
  ): Promise<RpcResult<RestoreReply>> {
    const bad = idProblem(docId) ?? actorRefusal(actor) ?? revertProblem(target);
    if (bad) return bad;
    const request = { actor: target.actor, from: target.from, to: target.to };
    return call(this.ns, docId, (stub) => stub.revert(docId, request, actor.id));
  }

  /** The latest writes made over this surface, newest first, with their actors. */
  async activity(docId: string, limit = DEFAULT_ACTIVITY_LIMIT): Promise<RpcResult<ActivityReply>> {
    const bad = idProblem(docId);
    if (bad) return bad;
    return call(this.ns, docId, (stub) => stub.activity(docId, limit));
  }
}

/**
 * A series of edits by one actor, shown in presence while it lasts. Each `apply` is durable when
 * it returns; `commit` ends the session after the last one, `close` abandons it; both remove the
 * peer. Nothing is buffered here: a caller that dies leaves only its lease to run out.
 */
export class EditSession extends RpcTarget {
  constructor(
    private readonly ns: NamespaceOf,
    readonly docId: string,
    private readonly actor: Actor,
    /** The session's awareness client id (its peer in every client's presence). */
    readonly clientId: number,
  ) {
    super();
  }

  /** Applies one update and moves the peer's cursor there (renews the lease). */
  async apply(
    update: Uint8Array,
    cursor: AgentCursor | null = null,
  ): Promise<RpcResult<WriteReply>> {
    const bad = bytesProblem(update, "invalid_update");
    if (bad) return bad;
    const peer = { clientId: this.clientId, cursor };
    return call(this.ns, this.docId, (s) =>
      s.agentWrite(this.docId, update, this.actor, "session", peer),
    );
  }

  /** Shows the peer with this cursor and renews its lease (call at least every lease / 2 when idle). */
  presence(cursor: AgentCursor | null): Promise<RpcResult<PresenceReply>> {
    const peer = { clientId: this.clientId, cursor };
    return call(this.ns, this.docId, (s) => s.agentPresence(this.docId, this.actor, peer, false));
  }

  /** The edits are complete: the peer leaves presence. */
  commit(): Promise<RpcResult<PresenceReply>> {
    return this.leave();
  }

  /** The session is abandoned (its applied edits stay): the peer leaves presence. */
  close(): Promise<RpcResult<PresenceReply>> {
    return this.leave();
  }

  private leave(): Promise<RpcResult<PresenceReply>> {
    const peer = { clientId: this.clientId };
    return call(this.ns, this.docId, (s) => s.agentPresence(this.docId, this.actor, peer, true));
  }
}

const UNAVAILABLE = failure(
  503,
  "document_unavailable",
  "the document could not be loaded; retry later",
);

/** Calls the document's object; a thrown call (the object could not start) is a 503 value. */
async function call<T>(
  namespace: NamespaceOf,
  docId: string,
  op: (stub: Stub) => PromiseLike<RpcResult<T>>,
): Promise<RpcResult<T>> {
  try {
    const ns = namespace();
    const stub: Stub = ns.get(ns.idFromName(docId));
    return await op(stub);
  } catch (err) {
    console.error(`edgesync: RPC to the object of ${docId} failed: ${(err as Error).message}`);
    return UNAVAILABLE;
  }
}

function idProblem(docId: unknown): RpcFailure | null {
  const problem = docNameProblem(docId);
  return problem ? failure(400, "invalid_request", problem) : null;
}

function actorRefusal(actor: unknown): RpcFailure | null {
  const problem = actorProblem(actor);
  return problem ? failure(400, "invalid_request", problem) : null;
}

/** RPC callers may pass anything: bytes must be a Uint8Array (null where allowed). */
function bytesProblem(
  bytes: unknown,
  code: "invalid_update" | "invalid_state_vector",
): RpcFailure | null {
  if (bytes instanceof Uint8Array) return null;
  return failure(400, code, "expected a Uint8Array");
}

function clientIdProblem(clientId: unknown): RpcFailure | null {
  if (
    clientId === undefined ||
    (Number.isInteger(clientId) && (clientId as number) >= 0 && (clientId as number) < 2 ** 32)
  )
    return null;
  return failure(400, "invalid_request", "clientId must be an unsigned 32-bit integer");
}

/** A random awareness client id (uint32, as Yjs picks its own). */
function randomClientId(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** The namespace bound as `name`; a missing binding is the deployer's error, said plainly. */
function namespaceOf(env: Bindings, name: string): Namespace {
  const ns = env[name] as Namespace | undefined;
  if (typeof ns?.idFromName !== "function")
    throw new Error(`edgesync: the Worker has no Durable Object binding named ${name}`);
  return ns;
}
