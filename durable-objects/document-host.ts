// One document behind its Durable Object, free of Cloudflare's class API: storage and loading,
// the sockets, failure and reload, when the alarm is due, and what the REST API asks of it.
// Every call comes through the Inbox (inbox.ts), after the frames received before it.
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { encodeEpoch } from "../protocol/messages";
import type { AgentSettings, RoomLimits } from "./config";
import type { ConnectionState } from "./connection";
import {
  canWrite,
  failure,
  renderJson,
  type DocumentStats,
  type Handoff,
  type Role,
  type RpcFailure,
  type RpcResult,
} from "./contract";
import {
  checkUpdate,
  documentStats,
  EPOCH_MISMATCH,
  httpSync,
  loadFailure,
  readUpdate,
  stateVectorProblem,
  unavailable,
  writeUpdate,
} from "./document-api";
import { openDesk, type AgentDesk } from "./agent-desk";
import type { Frame, FrameHost } from "./inbox";
import {
  DocumentNotFoundError,
  DocumentStorage,
  type LoadMode,
  type LoadReport,
} from "./document-storage";
import { Persistence } from "./persistence";
import { Room } from "./room";
import { closeQuietly, Sockets } from "./sockets";
import { D1NotMigratedError, D1Record } from "./storage/d1-record";
import type { DocumentStore } from "./storage/document-store";
import { SqliteLog } from "./storage/sqlite-log";

/** Delay before retrying a compaction that failed (the alarm's own work, not D1's backoff). */
const PERSIST_RETRY_MS = 1_000;

export class DocumentHost implements FrameHost {
  private store!: DocumentStore;
  private storage!: DocumentStorage;
  private persistence!: Persistence;
  /** Why this object's SQLite storage could not be opened (a damaged database), or null. */
  private storageError: Error | null = null;
  private readonly sockets: Sockets;
  private room: Room | null = null;
  private loading: { mode: LoadMode; promise: Promise<Room> } | null = null;
  private lastLoad: LoadReport | null = null;
  /** Mirror of the scheduled alarm time, so the hot path rarely touches the alarm API. */
  private alarmAt: number | null = null;
  /** Batches handled since this instance started (memory only; see DocumentStats). */
  private readonly batches = { count: 0, frames: 0, largest: 0 };
  /** Agents' peers in presence and who wrote over RPC (agent-desk.ts; never the socket path). */
  readonly desk: AgentDesk;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly db: D1Database,
    private readonly limits: RoomLimits,
    agents: AgentSettings,
  ) {
    this.sockets = new Sockets(() => ctx.getWebSockets());
    this.desk = openDesk(ctx.storage.sql, agents, (at) => this.scheduleAlarm(at));
    this.openStorage();
  }

  /** On start: learns the scheduled alarm and loads a known document (a failure is retried). */
  async wake(): Promise<void> {
    this.alarmAt = await this.ctx.storage.getAlarm();
    const docId = this.storageError ? null : this.knownDocId();
    if (docId !== null) await this.ready(docId, "view").catch(() => undefined);
  }

  /**
   * Opens the SQLite store. A damaged database file throws here (measured: a corrupt header
   * made every request a 500 and every socket a 1006); the object stays constructible and
   * refuses the document with 503 / 4503 until storage opens.
   */
  private openStorage(): boolean {
    try {
      this.store = new SqliteLog(this.ctx.storage.sql, (fn) =>
        this.ctx.storage.transactionSync(fn),
      );
      this.storage = new DocumentStorage(this.store, new D1Record(this.db));
      this.persistence = new Persistence(this.store, this.storage, this.limits);
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

  /** True once the document exists in storage (false for a provisional view). */
  private exists(): boolean {
    return this.store.identity().epoch !== "";
  }

  private epoch(): string {
    return this.store.identity().epoch;
  }

  /** The document id, from storage or, for a document not created yet, from its sockets. */
  private knownDocId(): string | null {
    return this.store.identity().docId ?? this.sockets.docId();
  }

  /**
   * Loads the document once; a failure is reported to the caller and retried next time. `mode`
   * says what to do if it does not exist (see LoadMode); "create" also gives a document opened
   * as a read-only view its identity.
   */
  private ready(docId: string | null, mode: LoadMode): Promise<Room> {
    if (this.storageError && !this.openStorage()) return Promise.reject(this.storageError);
    if (this.room) {
      if (mode === "existing" && !this.exists()) {
        return Promise.reject(new DocumentNotFoundError(`document ${docId} does not exist`));
      }
      if (mode === "create" && docId !== null) this.store.create(docId, Date.now());
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
      append: (update) => this.store.append(update),
      storedBytes: () => this.store.size().bytes,
      limits: this.limits,
      connections: () => this.sockets.values(),
      onChange: () => this.persistence.noteChange(),
      tombstone: this.store.identity().tombstone,
    });
    try {
      this.lastLoad = await this.storage.load(room, docId, mode);
      this.persistence.resume();
    } catch (err) {
      if (err instanceof DocumentNotFoundError) throw err;
      console.error(`edgesync: loading ${docId} failed: ${(err as Error).message}`);
      const { code, reason } = unavailable(err);
      this.sockets.closeAll(code, reason);
      throw err;
    }
    // Sockets that survived hibernation: rebuild their connections and awareness.
    for (const conn of this.sockets.restore()) room.presence.restore(conn.state.aw);
    this.desk.peers.restore(room.presence);
    this.room = room;
    return room;
  }

  /**
   * An unexpected error while handling a message: memory may no longer match storage, so drop
   * the in-memory document and close every socket with a transient code; clients reconnect and
   * resync against a document reloaded from storage.
   */
  private fail(err: unknown): void {
    console.error(`edgesync: room failure, reloading from storage: ${(err as Error).stack ?? err}`);
    this.room = null;
    this.sockets.closeAll(CloseCode.InternalError, "internal error, reconnect");
  }

  // ---- sockets (see FrameHost) ----

  /** Loads the document for a new socket; returns how to refuse it, or null to accept it. */
  async admitSocket(
    handoff: Handoff,
    knownEpoch: string | null,
  ): Promise<{ code: number; reason: string } | null> {
    try {
      // A reader of a document that does not exist yet gets an empty view and creates nothing.
      await this.ready(handoff.docId, canWrite(handoff.role) ? "create" : "view");
    } catch (err) {
      return unavailable(err);
    }
    if (knownEpoch !== null && knownEpoch !== this.epoch()) {
      // The client holds history of an earlier incarnation of this id: it must not merge it.
      return { code: CloseCode.DocumentDeleted, reason: "document was deleted; drop local state" };
    }
    return null;
  }

  /** Greets an accepted socket (after admitSocket); `ext` clients also learn the epoch. */
  connect(ws: WebSocket, handoff: Handoff, ext: boolean): void {
    const state: ConnectionState = {
      id: crypto.randomUUID(),
      doc: handoff.docId,
      role: handoff.role,
      exp: handoff.exp,
      aw: {},
    };
    if (handoff.sub) state.sub = handoff.sub;
    const conn = this.sockets.add(ws, state);
    this.room!.onConnect(conn);
    // A document opened as a view has no epoch yet; its readers learn it on a later connection.
    if (ext && this.exists()) conn.send(encodeEpoch(this.epoch()));
    this.scheduleAlarm(handoff.exp !== null ? handoff.exp * 1000 : null);
  }

  /** A socket closed or failed: its awareness is removed and the others told. */
  disconnect(ws: WebSocket): void {
    const conn = this.sockets.forget(ws);
    if (conn && this.room) this.room.onClose(conn);
  }

  refuses(ws: WebSocket): boolean {
    return this.sockets.refuses(ws);
  }

  whenReady(): Promise<Room> | null {
    return this.room ? null : this.ready(null, "view");
  }

  refuseFrames(frames: Frame[], err: unknown): void {
    const { code, reason } = unavailable(err);
    for (const ws of new Set(frames.map((f) => f.ws))) closeQuietly(ws, code, reason);
  }

  handleFrames(frames: Frame[]): void {
    const room = this.room!;
    this.batches.count++;
    this.batches.frames += frames.length;
    this.batches.largest = Math.max(this.batches.largest, frames.length);
    try {
      room.handleMessages(frames.map(({ ws, data }) => ({ conn: this.sockets.of(ws), data })));
    } catch (err) {
      return this.fail(err);
    }
    this.persistence.compactIfOverdue(room);
    this.scheduleAlarm(this.persistence.dueAt());
  }

  // ---- the alarm ----

  async alarm(): Promise<void> {
    this.alarmAt = null;
    if (this.storageError || this.knownDocId() === null) return; // deleted, or nothing to load
    const room = await this.ready(null, "view");
    this.scheduleAlarm(room.expireTokens());
    this.scheduleAlarm(this.desk.peers.expire(room.presence));
    if (!this.exists()) return; // a view of a document not created yet: nothing stored
    try {
      await this.persistence.run(room);
    } catch (err) {
      // Compaction is one transaction, so a failure left the previous state intact; retry.
      console.error(
        `edgesync: persistence of ${this.store.identity().docId} failed: ${(err as Error).message}`,
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

  // ---- what the REST API asks (results are plain values; see document-api.ts) ----

  /** Loads an existing document for a REST or RPC call, or returns a 404/503 failure. */
  async existing(docId: string, mode: LoadMode = "existing"): Promise<Room | RpcFailure> {
    try {
      return await this.ready(docId, mode);
    } catch (err) {
      return loadFailure(err, docId);
    }
  }

  async getUpdate(
    docId: string,
    sv: Uint8Array | null,
  ): Promise<RpcResult<{ update: Uint8Array }>> {
    const problem = sv && stateVectorProblem(sv);
    if (problem) return problem;
    const room = await this.existing(docId);
    return room instanceof Room ? readUpdate(room, sv) : room;
  }

  async getJson(docId: string): Promise<RpcResult<{ json: Record<string, unknown> }>> {
    const room = await this.existing(docId);
    return room instanceof Room ? { ok: true, json: renderJson(room.doc) } : room;
  }

  async postUpdate(
    docId: string,
    update: Uint8Array,
    role: Role,
  ): Promise<RpcResult<{ stateVector: Uint8Array; changed: boolean }>> {
    const checked = checkUpdate(update, this.limits); // refused before anything is created
    if (!(checked instanceof Uint8Array)) return checked;
    const room = await this.existing(docId, canWrite(role) ? "create" : "existing");
    if (!(room instanceof Room)) return room;
    const result = writeUpdate(room, checked, role);
    this.scheduleAlarm(this.persistence.dueAt());
    return result; // output gates hold the response until the appended update is durable
  }

  async httpSync(
    docId: string,
    stateVector: Uint8Array,
    update: Uint8Array | null,
    role: Role,
    epoch: string | null,
  ) {
    const checked = update && checkUpdate(update, this.limits); // refused before anything is created
    if (checked && !(checked instanceof Uint8Array)) return checked;
    const problem = stateVectorProblem(stateVector);
    if (problem) return problem;
    // A read token's HTTP sync creates nothing: a missing document is a 404, as for other reads.
    const room = await this.existing(docId, canWrite(role) ? "create" : "existing");
    if (!(room instanceof Room)) return room;
    if (epoch !== null && epoch !== this.epoch()) {
      return EPOCH_MISMATCH;
    }
    const result = httpSync(room, stateVector, checked, role);
    this.scheduleAlarm(this.persistence.dueAt());
    return result.ok ? { ...result, epoch: this.epoch() } : result;
  }

  async info(docId: string): Promise<RpcResult<{ stats: DocumentStats }>> {
    const room = await this.existing(docId);
    return room instanceof Room ? { ok: true, stats: this.statsOf(room) } : room;
  }

  /** Closes every socket with 4404 and removes the document from DO storage and D1. */
  async destroy(docId: string): Promise<RpcResult<{ deleted: true }>> {
    const room = await this.existing(docId);
    if (!(room instanceof Room)) return room;
    try {
      await this.persistence.idle();
      await this.storage.destroy(Y.encodeStateVector(room.doc));
      this.persistence.reset();
      this.desk.clear();
    } catch (err) {
      console.error(`edgesync: deleting ${docId} failed: ${(err as Error).message}`);
      if (err instanceof D1NotMigratedError) return loadFailure(err, docId);
      return failure(
        503,
        "delete_failed",
        "the document could not be deleted from D1; nothing was removed, retry",
      );
    }
    this.room = null;
    this.sockets.closeAll(CloseCode.DocumentDeleted, "document deleted");
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
    return { ok: true, deleted: true };
  }

  /** Runs compaction and D1 replication now, regardless of thresholds (tests, operators). */
  async persistNow(force: { compact?: boolean; flush?: boolean }): Promise<void> {
    await this.persistence.run(await this.ready(null, "existing"), force);
  }

  /** Operational facts about the document (loads it if needed). */
  async stats(): Promise<DocumentStats> {
    return this.statsOf(await this.ready(null, "view"));
  }

  private statsOf(room: Room): DocumentStats {
    return documentStats(room, this.store, {
      connections: this.sockets.size,
      d1: this.persistence.flushState(),
      lastLoad: this.lastLoad,
      batches: { ...this.batches },
    });
  }
}
