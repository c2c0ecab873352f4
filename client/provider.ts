// SyncProvider: keeps one Y.Doc in sync with an edgesync server over a WebSocket, offline
// first — local store, coalesced sends, "saved" acks, backoff, token refresh, keep-alive.
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import { CloseCode, isPermanentClose } from "../protocol/close-codes";
import { docNameProblem } from "../protocol/doc-name";
import { encodeSyncStep1, encodeSyncStep2 } from "../protocol/envelope";
import type { ServerMessage } from "../protocol/server-messages";
import { backoffDelay, type BackoffOptions } from "./backoff";
import { Emitter } from "./emitter";
import { SyncError } from "./errors";
import { Link, type LinkEvents } from "./link";
import { Network } from "./network";
import { PresenceSync } from "./presence";
import { ProgressTracker, type SyncProgress } from "./progress";
import { Outbox } from "./outbox";
import { LocalCopy } from "./local-copy";
import { connectionUrl, Tokens, type TokenSource } from "./url";
import { Waiters } from "./waiters";
import { systemClock, type Clock, type OfflineStore, type WebSocketConstructor } from "./types";

/** `connected`: the server accepted us (its first message came), not just that the socket opened. */
export type ProviderStatus = "connecting" | "connected" | "disconnected" | "offline";

export interface SyncProviderOptions {
  /** WebSocket base URL, e.g. `ws://127.0.0.1:8787/sync`; the provider appends `/<docId>`. */
  url: string;
  docId: string;
  doc: Y.Doc;
  /** A token, or a function called before every attempt (a refusal it cannot fix: `token` error). */
  token?: TokenSource;
  /** Local persistence: loaded before connecting, written as edits happen. */
  store?: OfflineStore;
  awareness?: awarenessProtocol.Awareness;
  /** Defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Extra query parameters for the connection URL. */
  params?: Record<string, string>;
  /** Connect right away (default true); otherwise call `connect()`. */
  connect?: boolean;
  backoff?: BackoffOptions;
  coalesceMs?: number;
  savedAckDelayMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  clock?: Clock;
}

export interface ProviderEvents {
  status: [ProviderStatus];
  synced: [boolean];
  /** Every local change made so far is durably stored on the server. */
  saved: [];
  /** A local change is waiting for the server's acknowledgement (hasUnsavedChanges turned true). */
  unsaved: [];
  error: [SyncError];
  /** The server deleted the document (4404): the local copy was dropped; use a new Y.Doc. */
  reset: [];
  /** A first sync sent in parts advanced (see `progress`); ends at ratio 1 just before `synced`. */
  progress: [SyncProgress];
  /** A reconnect was scheduled after `delayMs` (attempt counts from 0 since the last sync). */
  reconnect: [{ attempt: number; delayMs: number }];
}

export class SyncProvider extends Emitter<ProviderEvents> {
  readonly doc: Y.Doc;
  readonly docId: string;
  readonly awareness: awarenessProtocol.Awareness | undefined;
  status: ProviderStatus = "disconnected";
  synced = false;
  /** Progress of a large first sync, announced by the server (null before any came). */
  readonly progress = new ProgressTracker((p) => this.emit("progress", p));
  /** Stopped for good: destroyed, a permanent close, or the document was deleted. */
  private stopped = false;
  private wanted: boolean;
  private link: Link | null = null;
  private attempt = 0;
  private epoch: string | undefined;
  /** Destroyed or reset: doc updates are neither stored nor sent any more. */
  private detached = false;
  /** whenSynced/whenSaved promises, rejected when the provider stops. */
  private readonly waiters = new Waiters();
  private retryTimer: unknown = null;
  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly local: LocalCopy | null;
  private readonly network: Network;
  private readonly presence: PresenceSync | null;
  private readonly tokens: Tokens;
  private readonly ready: Promise<void>;

  constructor(private readonly options: SyncProviderOptions) {
    super();
    this.doc = options.doc;
    this.docId = options.docId;
    this.awareness = options.awareness;
    this.clock = options.clock ?? systemClock;
    this.tokens = new Tokens(options.token);
    this.outbox = new Outbox(this.clock, options.coalesceMs, options.savedAckDelayMs);
    this.wanted = options.connect ?? true;
    this.local = options.store
      ? new LocalCopy(options.store, options.docId, options.doc, (err) => this.fail(err))
      : null;
    this.network = new Network(() => this.onNetworkChange());
    this.doc.on("update", this.onDocUpdate);
    this.presence = options.awareness
      ? new PresenceSync(options.awareness, (frame) => this.sendIfConnected(frame))
      : null;
    this.ready = this.restore();
    if (this.wanted) void this.connect();
  }

  /** Local changes not yet acknowledged by the server as durably stored. */
  get hasUnsavedChanges(): boolean {
    return this.outbox.unsaved;
  }

  /** Loads the offline copy (once) before the first connection. */
  private async restore(): Promise<void> {
    if (!this.local) return;
    const meta = await this.local.load();
    this.epoch = meta.epoch;
    if (meta.unsaved && !this.outbox.unsaved) {
      this.outbox.restoreUnsaved();
      this.emit("unsaved");
    }
  }

  /** Connects (or reconnects now) unless stopped. */
  async connect(): Promise<void> {
    this.wanted = true;
    if (this.stopped || this.link) return;
    const badName = docNameProblem(this.docId);
    if (badName) {
      // No server can accept it: stop with the reason instead of dialling and retrying. After
      // an await, so the constructor's caller has attached its listeners.
      await this.ready.catch(() => {});
      if (!this.stopped) this.stop(new SyncError("invalid-doc-id", badName));
      return;
    }
    this.clearRetry();
    if (this.network.offline) return this.setStatus("offline");
    this.setStatus("connecting");
    let token: string | undefined;
    try {
      await this.ready;
      token = await this.tokens.next();
    } catch (err) {
      if (err instanceof SyncError) this.fail(err);
      else this.fail(new SyncError("token", `token function failed: ${(err as Error).message}`));
      return this.scheduleReconnect();
    }
    // State may have changed while we awaited the token.
    if (this.stopped || !this.wanted || this.link || this.status !== "connecting") return;
    const Ctor =
      this.options.WebSocket ??
      (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      this.stop(new SyncError("closed", "no WebSocket implementation: pass options.WebSocket"));
      return;
    }
    const url = connectionUrl(this.options.url, this.docId, token, this.epoch, this.options.params);
    this.link = new Link(new Ctor(url), this.clock, this.linkEvents, this.options);
  }

  /** Closes the connection and stays disconnected until `connect()`. */
  disconnect(): void {
    this.wanted = false;
    this.clearRetry();
    if (this.link) this.drop(this.link, "disconnect requested", 1000);
    else if (!this.stopped) this.setStatus("disconnected");
  }

  /** What the current link reports; a detached link reports nothing. */
  private readonly linkEvents: LinkEvents = {
    open: ({ ws }) => {
      this.outbox.attach(ws);
      ws.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
      this.presence?.announce();
    },
    // The server accepted us: it refuses by closing at once.
    frame: () => this.setStatus("connected"),
    message: (link, message) => (this.progress.note(message), this.dispatch(link, message)),
    closed: (link, code, reason) => this.onClose(link, code, reason),
    failed: (link, reason, error) => {
      if (error) this.fail(error);
      this.drop(link, reason);
    },
  };

  private dispatch({ ws }: Link, message: ServerMessage): void {
    switch (message.kind) {
      case "sync-step1":
        // Send only what the server lacks; this covers every local change so far.
        ws.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector)));
        return this.outbox.sentStep2();
      case "sync-step2":
        Y.applyUpdate(this.doc, message.update, this);
        if (!this.synced) {
          this.synced = true;
          this.attempt = 0; // a full sync proves the server healthy: start backoff afresh
          this.emit("synced", true);
        }
        return;
      case "sync-update":
        return Y.applyUpdate(this.doc, message.update, this);
      case "awareness":
        return this.presence?.apply(message.update);
      case "query-awareness":
        return this.presence?.sendAll();
      case "permission-denied":
        this.outbox.refuse();
        return this.fail(new SyncError("permission-denied", message.reason));
      case "saved":
        if (this.outbox.ack(message.counter)) {
          this.local?.setUnsaved(false);
          this.emit("saved");
        }
        return;
      case "epoch":
        if (message.epoch !== this.epoch) {
          this.epoch = message.epoch;
          this.local?.setEpoch(message.epoch);
        }
        return;
    }
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (this.detached) return;
    if (origin === LocalCopy.ORIGIN) return;
    this.local?.append(update);
    if (origin === this) return;
    if (this.outbox.local(update)) {
      this.local?.setUnsaved(true);
      this.emit("unsaved");
    }
  };

  private sendIfConnected(frame: Uint8Array): void {
    const ws = this.link?.ws;
    if (ws?.readyState === 1) ws.send(frame); // OPEN, though maybe not yet accepted
  }

  private onClose(link: Link, code: number, reason: string): void {
    this.detach(link);
    if (code === CloseCode.DocumentDeleted) return this.reset(reason);
    if (code === CloseCode.Unauthenticated) {
      // Only a token function can fix this: the next attempt asks it (and backs off, with a
      // `token` error, while it answers with the refused token).
      if (!this.tokens.renewable)
        return this.stop(
          new SyncError("token", `server refused the token: ${reason || "4401"}`, code),
        );
      this.tokens.refuse();
    } else if (isPermanentClose(code)) {
      return this.stop(
        new SyncError("closed", `server closed the connection: ${code} ${reason}`, code),
      );
    }
    this.scheduleReconnect();
  }

  /** Forgets the socket and everything tied to it. */
  private detach(link: Link): void {
    link.detach();
    this.link = null;
    this.outbox.detach();
    this.presence?.forgetOthers();
    if (this.synced) {
      this.synced = false;
      this.emit("synced", false);
    }
  }

  /** Closes a socket from our side and handles it as a transient failure. */
  private drop(link: Link, reason: string, code = 4000): void {
    if (link !== this.link) return;
    this.detach(link);
    try {
      link.ws.close(code === 1000 ? 1000 : 4000, reason);
    } catch {
      // already closing
    }
    if (code === 1000) return this.setStatus(this.network.offline ? "offline" : "disconnected");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || !this.wanted) return this.setStatus("disconnected");
    if (this.network.offline) return this.setStatus("offline");
    const attempt = this.attempt++;
    const delayMs = backoffDelay(attempt, this.clock.random(), this.options.backoff);
    this.setStatus("disconnected");
    this.emit("reconnect", { attempt, delayMs });
    this.clearRetry();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delayMs);
  }

  private onNetworkChange(): void {
    if (this.stopped || !this.wanted) return;
    if (this.network.offline) {
      // Sockets to a dead network can linger for minutes before erroring: close now.
      if (this.link) this.drop(this.link, "network went offline", 1000);
      this.clearRetry();
      this.setStatus("offline");
    } else {
      this.attempt = 0;
      void this.connect();
    }
  }

  /** The server deleted the document: drop the local copy and never push old content back. */
  private reset(reason: string): void {
    this.detached = true;
    this.epoch = undefined;
    this.local?.clear();
    this.stop(
      new SyncError(
        "deleted",
        `document was deleted on the server: ${reason}`,
        CloseCode.DocumentDeleted,
      ),
    );
    this.emit("reset");
  }

  private stop(error: SyncError | null): void {
    this.stopped = true;
    this.clearRetry();
    this.outbox.clearTimers();
    this.network.close();
    this.setStatus("disconnected");
    if (error) this.fail(error);
    const reason = error ?? new SyncError("destroyed", "provider destroyed");
    this.waiters.stop(reason);
  }

  private fail(error: SyncError): void {
    this.emit("error", error);
  }

  private setStatus(status: ProviderStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", status);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Resolves once the offline store's copy has been applied to the doc (at once without a store). */
  whenLoaded(): Promise<void> {
    return this.ready;
  }

  /** Resolves once synced with the server; rejects if the provider stops first. */
  whenSynced(): Promise<void> {
    return this.when(() => this.synced, "synced");
  }

  /** Resolves once every local change so far is durably stored; rejects if the provider stops first. */
  whenSaved(): Promise<void> {
    return this.when(() => !this.outbox.unsaved, "saved");
  }

  private when(done: () => boolean, event: "synced" | "saved"): Promise<void> {
    return this.waiters.when(done, event, (fn) => this.on(event, fn));
  }

  /**
   * Stops syncing: tells peers our presence is gone, closes the socket, detaches from the doc.
   * Resolves once pending writes to the offline store have finished.
   */
  async destroy(): Promise<void> {
    this.presence?.destroy();
    this.outbox.flush();
    this.doc.off("update", this.onDocUpdate);
    const link = this.link;
    if (link) {
      this.detach(link);
      link.ws.close(1000, "provider destroyed");
    }
    this.detached = true;
    this.stop(null);
    this.removeAllListeners();
    await this.local?.settled();
  }
}
