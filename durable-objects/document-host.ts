// One document behind a platform port (platform.ts): the load lifecycle (with the load-mode
// race), the sockets, failure and reload, and the alarm's named timers. It hands out the loaded
// document — room, store, events, timers — to the operations above it (operations/) and to the
// features on its seam (features.ts), and imports none of them. Every call comes through the
// Inbox (inbox.ts), after the frames received before it.
import * as Y from "yjs";
import { CloseCode } from "../protocol/close-codes";
import { encodeEpoch } from "../protocol/messages";
import { canWrite, type Handoff } from "./contract";
import type { RoomLimits } from "./config";
import type { ConnectionState } from "./connection";
import {
  DocumentNotFoundError,
  Backends,
  unavailable,
  type LoadMode,
  type LoadReport,
} from "./backends";
import { DocumentEvents, emitStored } from "./events";
import type { Frame, FrameHost } from "./inbox";
import type { DocumentPlatform, HostSocket } from "./platform";
import { Room } from "./room";
import { closeQuietly, Sockets } from "./sockets";
import type { D1Record } from "./storage/d1-record";
import type { DocumentStore } from "./storage/document-store";
import { SqliteLog } from "./storage/sqlite-log";
import { Timers } from "./timers";

/** Delay before a timer whose task failed runs again. */
export const TIMER_RETRY_MS = 1_000;
/** The host's own timer: closes sockets whose token has expired. */
export const TOKEN_TIMER = "token-expiry";

/** How a socket that holds an earlier incarnation of its document is refused. */
const OLD_INCARNATION = {
  code: CloseCode.DocumentDeleted,
  reason: "document was deleted; drop local state",
};

export interface HostOptions {
  platform: DocumentPlatform;
  /** D1, the system of record (storage/d1-record.ts). */
  d1: D1Record;
  limits: RoomLimits;
  now?: () => number;
}

export class DocumentHost implements FrameHost {
  readonly events = new DocumentEvents();
  readonly timers: Timers;
  /** The document's own store (typed verbs, storage/) and its two backends' steps (with D1). */
  store!: DocumentStore;
  backends!: Backends;
  /** Why this object's SQLite storage could not be opened (a damaged database), or null. */
  private storageError: Error | null = null;
  private readonly sockets: Sockets;
  private room: Room | null = null;
  private loading: { mode: LoadMode; promise: Promise<Room> } | null = null;
  /** How the document was last loaded. */
  lastLoad: LoadReport | null = null;
  private readonly platform: DocumentPlatform;
  readonly limits: RoomLimits;
  private readonly now: () => number;

  constructor(private readonly opts: HostOptions) {
    ({ platform: this.platform, limits: this.limits, now: this.now = Date.now } = opts);
    const refused = (code: number, reason: string) =>
      this.events.emit("refused", { origin: "socket", code, reason });
    this.sockets = new Sockets(() => this.platform.sockets(), refused);
    this.timers = new Timers(this.platform, this.now);
    this.timers.register(TOKEN_TIMER, () => this.room?.expireTokens() ?? null);
    this.openStorage();
  }

  /** Open sockets. */
  get connections(): number {
    return this.sockets.size;
  }
  /** D1, the system of record (metrics write their counters beside the document's row). */
  get d1(): D1Record {
    return this.opts.d1;
  }
  /** The open sockets' facts (role, subject, expiry, awareness ids), for operators. */
  connectionStates(): ConnectionState[] {
    return [...this.sockets.values()].map((conn) => conn.state);
  }
  /** The loaded room, or null (not loaded yet, or dropped after a failure or a delete). */
  get loaded(): Room | null {
    return this.room;
  }

  /** On start: learns the scheduled alarm and loads a known document (a failure is retried). */
  async wake(): Promise<void> {
    await this.timers.wake();
    const docId = this.storageError ? null : this.knownDocId();
    if (docId !== null) await this.open(docId, "view").catch(() => undefined);
  }

  /**
   * Opens the SQLite store. A damaged database file throws here (measured: a corrupt header
   * made every request a 500 and every socket a 1006); the object stays constructible and
   * refuses the document with 503 / 4503 until storage opens.
   */
  private openStorage(): boolean {
    const { platform } = this;
    try {
      this.store = new SqliteLog(platform.sql, (fn) => platform.transaction(fn), this.now);
      this.backends = new Backends(this.store, this.opts.d1, this.now);
      this.storageError = null;
      return true;
    } catch (err) {
      this.storageError = err as Error;
      console.error(`edgesync: storage of ${platform.name} cannot be opened: ${err}`);
      return false;
    }
  }

  /** Runs `fn` in one transaction of the object's SQLite (features' multi-row writes). */
  transaction<T>(fn: () => T): T {
    return this.platform.transaction(fn);
  }

  /** True once the document exists in storage (false for a provisional view). */
  exists(): boolean {
    return this.store.identity().epoch !== "";
  }

  epoch(): string {
    return this.store.identity().epoch;
  }

  /** The document id, from storage or, for a document not created yet, from its sockets. */
  private knownDocId(): string | null {
    return this.store.identity().docId ?? this.sockets.docId();
  }

  /**
   * Loads the document once; a failure is reported to the caller and retried next time. `mode`
   * says what to do if it does not exist (see LoadMode); "create" also gives a document opened
   * as a read-only view its identity. `docId` null: the one storage or a socket knows.
   */
  open(docId: string | null, mode: LoadMode): Promise<Room> {
    if (this.storageError && !this.openStorage()) return Promise.reject(this.storageError);
    if (this.room) {
      if (mode === "existing" && !this.exists()) {
        return Promise.reject(new DocumentNotFoundError(`document ${docId} does not exist`));
      }
      if (mode === "create" && docId !== null) this.store.create(docId, this.now());
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
      () => this.open(docId, mode),
      (err: unknown) =>
        err instanceof DocumentNotFoundError && loading.mode === "existing" && mode !== "existing"
          ? this.open(docId, mode)
          : Promise.reject(err),
    );
  }

  private async load(docId: string, mode: LoadMode): Promise<Room> {
    const store = this.store;
    const room = new Room({
      append: (update) => store.append(update),
      storedBytes: () => store.size().bytes,
      limits: this.limits,
      connections: () => this.sockets.values(),
      onChange: (seq, update, origin) => emitStored(this.events, seq, update, origin),
      tombstone: store.identity().tombstone,
    });
    try {
      this.lastLoad = await this.backends.load(room, docId, mode);
    } catch (err) {
      if (err instanceof DocumentNotFoundError) throw err;
      console.error(`edgesync: loading ${docId} failed: ${(err as Error).message}`);
      const { code, reason } = unavailable(err);
      this.sockets.closeAll(code, reason);
      throw err;
    }
    // Sockets that survived hibernation: rebuild their connections and awareness.
    for (const conn of this.sockets.restore()) room.presence.restore(conn.state.aw);
    const report = this.lastLoad;
    if (report.quarantined.length > 0)
      this.events.emit("quarantined", { rows: report.quarantined });
    this.events.emit("loaded", { docId, report, room });
    this.room = room;
    return room;
  }

  /**
   * An unexpected error while handling a message: memory may no longer match storage, so the
   * room is dropped and every socket closed (transient code) to resync against a reload.
   */
  private fail(err: unknown): void {
    console.error(`edgesync: room failure, reloading from storage: ${(err as Error).stack ?? err}`);
    this.room = null;
    this.sockets.closeAll(CloseCode.InternalError, "internal error, reconnect");
  }

  /**
   * Deletes the document from D1 and from every table of DO storage (one transaction), then
   * closes every socket with 4404. Throws when D1 fails: then nothing was removed.
   */
  async delete(room: Room): Promise<void> {
    const { docId, epoch } = this.store.identity();
    await this.backends.destroy(Y.encodeStateVector(room.doc));
    this.room = null;
    this.sockets.closeAll(CloseCode.DocumentDeleted, "document deleted");
    const cleared = this.timers.clear();
    this.events.emit("deleted", { docId: docId ?? "", epoch });
    await cleared;
  }

  // ---- sockets (see FrameHost) ----

  /** Loads the document for a new socket; returns how to refuse it, or null to accept it. */
  async admitSocket(
    handoff: Handoff,
    knownEpoch: string | null,
  ): Promise<{ code: number; reason: string } | null> {
    let refusal: { code: number; reason: string } | null = null;
    try {
      // A reader of a document that does not exist yet gets an empty view and creates nothing.
      await this.open(handoff.docId, canWrite(handoff.role) ? "create" : "view");
      // A client holding history of an earlier incarnation of this id must not merge it.
      if (knownEpoch !== null && knownEpoch !== this.epoch()) refusal = OLD_INCARNATION;
    } catch (err) {
      refusal = unavailable(err);
    }
    if (refusal) this.events.emit("refused", { origin: "socket", ...refusal });
    return refusal;
  }

  /** Greets an accepted socket (after admitSocket); `ext` clients also learn the epoch. */
  connect(ws: HostSocket, handoff: Handoff, ext: boolean): void {
    const conn = this.sockets.add(ws, handoff, ext);
    this.room!.onConnect(conn);
    if (this.events.has("connected"))
      this.events.emit("connected", { actor: handoff.sub ?? "anonymous", role: handoff.role });
    // A document opened as a view has no epoch yet; its readers learn it on a later connection.
    if (ext && this.exists()) conn.send(encodeEpoch(this.epoch()));
    this.timers.at(TOKEN_TIMER, handoff.exp !== null ? handoff.exp * 1000 : null);
  }

  /** A socket closed or failed: its awareness is removed and the others told. */
  disconnect(ws: HostSocket): void {
    const conn = this.sockets.forget(ws);
    if (conn && this.room) this.room.onClose(conn);
    if (conn && this.events.has("disconnected")) {
      const { sub, role } = conn.state;
      this.events.emit("disconnected", { actor: sub ?? "anonymous", role });
    }
  }

  refuses(ws: HostSocket): boolean {
    return this.sockets.refuses(ws);
  }

  whenReady(): Promise<Room> | null {
    return this.room ? null : this.open(null, "view");
  }

  refuseFrames(frames: Frame[], err: unknown): void {
    const { code, reason } = unavailable(err);
    for (const ws of new Set(frames.map((f) => f.ws))) closeQuietly(ws, code, reason);
  }

  handleFrames(frames: Frame[]): void {
    try {
      this.room!.handleMessages(
        frames.map(({ ws, data }) => ({ conn: this.sockets.of(ws), data })),
      );
    } catch (err) {
      this.fail(err);
    }
  }

  // ---- the alarm ----

  /**
   * The alarm fired: loads the document and runs the timers that are due (timers.ts). A deleted
   * document loads nothing, yet its timers still run (the webhook outbox sends
   * `document.deleted` after the wipe); each task finds `loaded` null then.
   */
  async alarm(): Promise<void> {
    this.timers.fired();
    if (this.storageError) return;
    if (this.knownDocId() !== null) await this.open(null, "view");
    await this.timers.run(TIMER_RETRY_MS);
  }
}
