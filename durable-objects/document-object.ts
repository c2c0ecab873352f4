// The per-document Durable Object: a thin adapter from Cloudflare's hibernation API to the
// transport-agnostic Room, with Persistence doing loading, compaction and D1 replication.
import { DurableObject } from "cloudflare:workers";
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { encodeEpoch } from "../protocol/messages";
import { limitsFromEnv, type RoomLimits } from "./config";
import type { Connection, ConnectionState } from "./connection";
import {
  canWrite,
  failure,
  readHandoff,
  renderJson,
  type DeleteReply,
  type DocumentRpc,
  type DocumentStats,
  type HttpSyncReply,
  type InfoReply,
  type JsonReply,
  type Role,
  type RpcFailure,
  type RpcResult,
  type UpdateReply,
  type WriteReply,
} from "./contract";
import { httpSync, readUpdate, writeUpdate } from "./document-api";
import {
  DocumentDamagedError,
  DocumentNotFoundError,
  Persistence,
  type LoadMode,
  type LoadReport,
} from "./persistence";
import { Room } from "./room";
import { D1Record } from "./storage/d1-record";
import { SqliteLog } from "./storage/sqlite-log";

/** Delay before retrying a compaction that failed (the alarm's own work, not D1's backoff). */
const PERSIST_RETRY_MS = 1_000;

export class DocumentObject extends DurableObject<Env> implements DocumentRpc {
  private readonly limits: RoomLimits;
  private log!: SqliteLog;
  private persistence!: Persistence;
  /** Why this object's SQLite storage could not be opened (a damaged database), or null. */
  private storageError: Error | null = null;
  private readonly connections = new Map<WebSocket, Connection>();
  private room: Room | null = null;
  private loading: { mode: LoadMode; promise: Promise<Room> } | null = null;
  private lastLoad: LoadReport | null = null;
  /** Mirror of the scheduled alarm time, so the hot path rarely touches the alarm API. */
  private alarmAt: number | null = null;
  /**
   * Sockets the room refused (closed): the frames they still have in flight are dropped before
   * anything else is done with them. Rebuilt from the attachments after a wake (see load).
   */
  private readonly refused = new WeakSet<WebSocket>();
  /** Frames received and not yet handled (see webSocketMessage). */
  private readonly inbox = new Inbox();
  /** Batches handled since this instance started (memory only; see DocumentStats). */
  private readonly batches = { count: 0, frames: 0, largest: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.limits = limitsFromEnv(env);
    // Keep-alives are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.openStorage();
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
      const docId = this.storageError ? null : this.knownDocId();
      if (docId !== null) await this.ready(docId, "view").catch(() => undefined);
    });
  }

  /**
   * Opens the SQLite store. A damaged database file throws here (measured: a corrupt header
   * made every request a 500 and every socket a 1006); the object stays constructible and
   * refuses the document with 503 / 4503 until storage opens.
   */
  private openStorage(): boolean {
    try {
      this.log = new SqliteLog(this.ctx.storage.sql, (fn) => this.ctx.storage.transactionSync(fn));
      this.persistence = new Persistence(this.log, new D1Record(this.env.DB), this.limits);
      this.storageError = null;
      return true;
    } catch (err) {
      this.storageError = err as Error;
      console.error(
        `edgesync: storage of ${this.ctx.id} cannot be opened: ${this.storageError.message}`,
      );
      return false;
    }
  }

  /** The document id, from storage or, for a document not created yet, from its sockets. */
  private knownDocId(): string | null {
    const stored = this.persistence.docId;
    if (stored !== null) return stored;
    for (const ws of this.ctx.getWebSockets()) {
      const doc = (ws.deserializeAttachment() as ConnectionState | null)?.doc;
      if (doc) return doc;
    }
    return null;
  }

  /**
   * Loads the document once; a failure is reported to the caller and retried next time. `mode`
   * says what to do if it does not exist (see LoadMode); "create" also gives a document opened
   * as a read-only view its identity.
   */
  private ready(docId: string | null, mode: LoadMode): Promise<Room> {
    if (this.storageError && !this.openStorage()) return Promise.reject(this.storageError);
    if (this.room) {
      if (mode === "existing" && !this.persistence.exists) {
        return Promise.reject(new DocumentNotFoundError(`document ${docId} does not exist`));
      }
      if (mode === "create" && docId !== null) this.persistence.materialize(docId);
      return Promise.resolve(this.room);
    }
    docId ??= this.knownDocId();
    if (docId === null) return Promise.reject(new DocumentNotFoundError("document id unknown"));
    const loading = (this.loading ??= {
      mode,
      promise: this.load(docId, mode).finally(() => (this.loading = null)),
    });
    // A load that may create or view a missing document serves every caller. One that may not
    // ("existing", a REST read) may find nothing: a writer that joined it loads again in its
    // own mode instead of being refused (a POST racing a GET on a new document got 404).
    return loading.promise.then(
      () => this.ready(docId, mode),
      (err: unknown) =>
        err instanceof DocumentNotFoundError && loading.mode === "existing" && mode !== "existing"
          ? this.ready(docId, mode)
          : Promise.reject(err),
    );
  }

  private async load(docId: string, mode: LoadMode): Promise<Room> {
    const room = new Room({
      log: this.log,
      limits: this.limits,
      connections: () => this.connections.values(),
      onChange: () => this.persistence.noteChange(),
      tombstone: this.persistence.tombstone(),
    });
    try {
      this.lastLoad = await this.persistence.load(room, docId, mode);
    } catch (err) {
      if (err instanceof DocumentNotFoundError) throw err;
      console.error(`edgesync: loading ${docId} failed: ${(err as Error).message}`);
      for (const ws of this.ctx.getWebSockets())
        closeQuietly(ws, CloseCode.DocumentUnavailable, unavailable(err));
      this.connections.clear();
      throw err;
    }
    // Sockets that survived hibernation: rebuild their connections and awareness.
    for (const ws of this.ctx.getWebSockets()) {
      const state = ws.deserializeAttachment() as ConnectionState | null;
      if (state?.refused) this.refused.add(ws);
      else if (state) room.presence.restore(this.wrap(ws, state).state.aw);
    }
    this.room = room;
    return room;
  }

  private wrap(ws: WebSocket, state: ConnectionState): Connection {
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
      },
      saveState: () => ws.serializeAttachment(conn.state),
    };
    this.connections.set(ws, conn);
    return conn;
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    await this.drain();
    const handoff = readHandoff(request.headers);
    const { 0: client, 1: server } = new WebSocketPair();
    let room: Room;
    try {
      // A reader of a document that does not exist yet gets an empty view and creates nothing.
      room = await this.ready(handoff.docId, canWrite(handoff.role) ? "create" : "view");
    } catch (err) {
      server.accept();
      closeQuietly(server, CloseCode.DocumentUnavailable, unavailable(err));
      return new Response(null, { status: 101, webSocket: client });
    }
    const url = new URL(request.url);
    const knownEpoch = url.searchParams.get("epoch");
    if (knownEpoch !== null && knownEpoch !== this.persistence.epoch) {
      // The client holds history of an earlier incarnation of this id: it must not merge it.
      server.accept();
      closeQuietly(server, CloseCode.DocumentDeleted, "document was deleted; drop local state");
      return new Response(null, { status: 101, webSocket: client });
    }
    this.ctx.acceptWebSocket(server);
    const state: ConnectionState = {
      id: crypto.randomUUID(),
      doc: handoff.docId,
      role: handoff.role,
      exp: handoff.exp,
      aw: {},
    };
    if (handoff.sub) state.sub = handoff.sub;
    server.serializeAttachment(state);
    const conn = this.wrap(server, state);
    room.onConnect(conn);
    // A document opened as a view has no epoch yet; its readers learn it on a later connection.
    if (url.searchParams.get("ext") === "1" && this.persistence.exists)
      conn.send(encodeEpoch(this.persistence.epoch));
    this.scheduleAlarm(handoff.exp !== null ? handoff.exp * 1000 : null);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Frames are queued and handled together: each WebSocket event costs the runtime far more
   * than applying one keystroke, and a batch is one Yjs transaction, one log row, one commit
   * and one broadcast instead of one each per frame. A frame after a quiet spell is handled at
   * once; while frames keep coming the queue is drained on a zero-delay timer (after the
   * runtime has delivered whatever frames were already waiting), or at once when it is full
   * or its oldest frame has waited too long (timers lag while frames keep arriving), and
   * before any other event so that order is kept. Nothing is sent before the
   * batch is written, and output gates hold it until the write is committed.
   */
  override async webSocketMessage(ws: WebSocket, message: ArrayBuffer | string): Promise<void> {
    // A refused socket may have thousands of frames in flight: each costs one lookup, no more.
    if (this.refused.has(ws)) return;
    const inbox = this.inbox;
    const now = Date.now();
    // A frame after a quiet spell is handled at once: waiting would only add latency.
    const quiet = inbox.frames.length === 0 && now - inbox.drainedAt >= this.limits.batchMaxWaitMs;
    if (inbox.frames.length === 0) inbox.since = now;
    inbox.frames.push({ ws, data: message });
    inbox.bytes += typeof message === "string" ? message.length : message.byteLength;
    if (
      quiet ||
      inbox.frames.length >= this.limits.batchMaxMessages ||
      inbox.bytes >= this.limits.batchMaxBytes ||
      now - inbox.since >= this.limits.batchMaxWaitMs
    ) {
      return this.drain();
    }
    inbox.timer ??= setTimeout(() => {
      inbox.timer = null;
      void this.drain();
    }, 0);
  }

  /** Handles every queued frame in order (see webSocketMessage). */
  private async drain(): Promise<void> {
    if (this.inbox.frames.length === 0) return;
    let room: Room;
    try {
      room = this.room ?? (await this.ready(null, "view"));
    } catch (err) {
      const sockets = new Set(this.inbox.frames.map((f) => f.ws));
      this.inbox.clear();
      for (const ws of sockets) closeQuietly(ws, CloseCode.DocumentUnavailable, unavailable(err));
      return;
    }
    const frames = this.inbox.frames.map(({ ws, data }) => ({
      conn:
        this.connections.get(ws) ?? this.wrap(ws, ws.deserializeAttachment() as ConnectionState),
      data,
    }));
    this.inbox.clear();
    this.inbox.drainedAt = Date.now();
    this.batches.count++;
    this.batches.frames += frames.length;
    this.batches.largest = Math.max(this.batches.largest, frames.length);
    try {
      room.handleMessages(frames);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.persistence.compactIfOverdue(room);
    this.scheduleAlarm(this.persistence.dueAt());
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.drain(); // frames sent before the close are applied first
    const conn = this.connections.get(ws);
    this.connections.delete(ws);
    if (conn && this.room) this.room.onClose(conn);
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.drain();
    const conn = this.connections.get(ws);
    this.connections.delete(ws);
    if (conn && this.room) this.room.onClose(conn);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    await this.drain();
    if (this.storageError || this.knownDocId() === null) return; // deleted, or nothing to load
    const room = await this.ready(null, "view");
    this.scheduleAlarm(room.expireTokens());
    if (!this.persistence.exists) return; // a view of a document not created yet: nothing stored
    try {
      await this.persistence.run(room);
    } catch (err) {
      // Compaction is one transaction, so a failure left the previous state intact; retry.
      console.error(
        `edgesync: persistence of ${this.persistence.docId} failed: ${(err as Error).message}`,
      );
      this.scheduleAlarm(Date.now() + PERSIST_RETRY_MS);
      return;
    }
    this.scheduleAlarm(this.persistence.dueAt());
  }

  /** Sets the alarm if `at` is earlier than the one scheduled. */
  private scheduleAlarm(at: number | null): void {
    if (at === null || (this.alarmAt !== null && this.alarmAt <= at)) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /**
   * An unexpected error while handling a message: memory may no longer match storage, so
   * drop the in-memory document and close every socket with a transient code; clients
   * reconnect and resync against a document reloaded from storage.
   */
  private fail(err: unknown): void {
    console.error(`edgesync: room failure, reloading from storage: ${(err as Error).stack ?? err}`);
    this.room = null;
    for (const ws of this.ctx.getWebSockets())
      closeQuietly(ws, CloseCode.InternalError, "internal error, reconnect");
    this.connections.clear();
  }

  // ---- RPC for the REST API (and tests). Results are plain values; see document-api.ts ----

  /** Loads an existing document for a REST call, or returns a 404/503 failure. */
  private async existing(docId: string, mode: LoadMode = "existing"): Promise<Room | RpcFailure> {
    await this.drain(); // a request sees every frame received before it
    try {
      return await this.ready(docId, mode);
    } catch (err) {
      if (err instanceof DocumentNotFoundError)
        return failure(404, "document_not_found", `document ${docId} does not exist`);
      if (err instanceof DocumentDamagedError) {
        return failure(
          503,
          "document_damaged",
          "the stored document is damaged and no intact copy was found; kept for an operator",
        );
      }
      return failure(503, "document_unavailable", "the document could not be loaded; retry later");
    }
  }

  async getUpdate(docId: string, stateVector: Uint8Array | null): Promise<RpcResult<UpdateReply>> {
    const room = await this.existing(docId);
    return room instanceof Room ? readUpdate(room, stateVector) : room;
  }

  async getJson(docId: string): Promise<RpcResult<JsonReply>> {
    const room = await this.existing(docId);
    return room instanceof Room ? { ok: true, json: renderJson(room.doc) } : room;
  }

  async postUpdate(docId: string, update: Uint8Array, role: Role): Promise<RpcResult<WriteReply>> {
    const room = await this.existing(docId, canWrite(role) ? "create" : "existing");
    if (!(room instanceof Room)) return room;
    const result = writeUpdate(room, update, role, "http");
    this.scheduleAlarm(this.persistence.dueAt());
    // Output gates hold this response until the appended update is durable.
    return result.ok ? { ...result, stateVector: Y.encodeStateVector(room.doc) } : result;
  }

  async sync(
    docId: string,
    stateVector: Uint8Array,
    update: Uint8Array | null,
    role: Role,
    epoch: string | null,
  ): Promise<RpcResult<HttpSyncReply>> {
    // A read token's HTTP sync creates nothing: a missing document is a 404, as for other reads.
    const room = await this.existing(docId, canWrite(role) ? "create" : "existing");
    if (!(room instanceof Room)) return room;
    if (epoch !== null && epoch !== this.persistence.epoch) {
      return failure(
        409,
        "epoch_mismatch",
        "the document was deleted and recreated: drop local state, then sync again without epoch",
      );
    }
    const result = httpSync(room, stateVector, update, role, "http");
    this.scheduleAlarm(this.persistence.dueAt());
    return result.ok ? { ...result, epoch: this.persistence.epoch } : result;
  }

  async info(docId: string): Promise<RpcResult<InfoReply>> {
    const room = await this.existing(docId);
    return room instanceof Room ? { ok: true, stats: this.statsOf(room) } : room;
  }

  /** Closes every socket with 4404 and removes the document from DO storage and D1. */
  async destroy(docId: string): Promise<RpcResult<DeleteReply>> {
    const room = await this.existing(docId);
    if (!(room instanceof Room)) return room;
    try {
      await this.persistence.destroy(Y.encodeStateVector(room.doc));
    } catch (err) {
      console.error(`edgesync: deleting ${docId} failed: ${(err as Error).message}`);
      return failure(
        503,
        "delete_failed",
        "the document could not be deleted from D1; nothing was removed, retry",
      );
    }
    this.room = null;
    for (const ws of this.ctx.getWebSockets())
      closeQuietly(ws, CloseCode.DocumentDeleted, "document deleted");
    this.connections.clear();
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
    return { ok: true, deleted: true };
  }

  /** Runs compaction and D1 replication now, regardless of thresholds (tests, operators). */
  async persistNow(): Promise<void> {
    await this.drain();
    await this.persistence.run(await this.ready(null, "existing"), { compact: true, flush: true });
  }

  /** Operational facts about the document (loads it if needed). */
  async stats(): Promise<DocumentStats> {
    await this.drain();
    return this.statsOf(await this.ready(null, "view"));
  }

  private statsOf(room: Room): DocumentStats {
    const snapshotPending = room.snapshotPending; // read before encodedSize applies it
    return {
      snapshotPending,
      docId: this.persistence.docId ?? "",
      epoch: this.persistence.epoch,
      connections: this.connections.size,
      logRows: this.log.countLogRows(),
      updateCount: this.log.lastSeq,
      snapshotBytes: this.log.getMetaNumber("snapshot_bytes"),
      encodedBytes: room.encodedSize(),
      createdAt: this.log.getMetaNumber("created_at"),
      updatedAt: this.log.getMetaNumber("updated_at") || this.log.getMetaNumber("created_at"),
      d1: this.persistence.flushState(),
      written: this.persistence.writeTotals(),
      quarantined: this.log.listQuarantine(),
      lastLoad: this.lastLoad,
      batches: { ...this.batches },
    };
  }
}

/** Frames waiting to be handled as one batch. */
class Inbox {
  frames: { ws: WebSocket; data: ArrayBuffer | string }[] = [];
  bytes = 0;
  /** When the oldest waiting frame arrived. */
  since = 0;
  /** When frames were last handled. */
  drainedAt = 0;
  timer: ReturnType<typeof setTimeout> | null = null;

  clear(): void {
    this.frames = [];
    this.bytes = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The close reason for a document that could not be served. */
function unavailable(err: unknown): string {
  return err instanceof DocumentDamagedError
    ? "document damaged; no intact copy found, kept for an operator"
    : "document unavailable, retry later";
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closing or closed
  }
}
