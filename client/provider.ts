// SyncProvider: keeps one Y.Doc in sync with an edgesync server over a WebSocket, offline
// first — local store, coalesced sends, "saved" acks, backoff, token refresh, keep-alive.
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import { CloseCode, isPermanentClose } from "../protocol/close-codes";
import { encodeSyncStep1, encodeSyncStep2 } from "../protocol/envelope";
import { decodeServerMessage, type ServerMessage } from "../protocol/server-messages";
import { backoffDelay, type BackoffOptions } from "./backoff";
import { Emitter } from "./emitter";
import { SyncError } from "./errors";
import { KeepAlive } from "./keep-alive";
import { Network } from "./network";
import { PresenceSync } from "./presence";
import { Outbox } from "./outbox";
import { LocalCopy } from "./local-copy";
import { connectionUrl, Tokens, type TokenSource } from "./url";
import {
  systemClock,
  type Clock,
  type OfflineStore,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./types";

/** Give up on a connection attempt that has not opened after this long. */
export const CONNECT_TIMEOUT_MS = 10_000;

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
  /** A reconnect was scheduled after `delayMs` (attempt counts from 0 since the last sync). */
  reconnect: [{ attempt: number; delayMs: number }];
}

export class SyncProvider extends Emitter<ProviderEvents> {
  readonly doc: Y.Doc;
  readonly docId: string;
  readonly awareness: awarenessProtocol.Awareness | undefined;
  status: ProviderStatus = "disconnected";
  synced = false;
  /** Stopped for good: destroyed, a permanent close, or the document was deleted. */
  private stopped = false;
  private wanted: boolean;
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private epoch: string | undefined;
  /** Destroyed or reset: doc updates are neither stored nor sent any more. */
  private detached = false;
  /** Rejecters of whenSynced/whenSaved promises, called when the provider stops. */
  private readonly waiters = new Set<(error: SyncError) => void>();
  private keepAlive: KeepAlive | null = null;
  private readonly timers: Record<"retry" | "connect", unknown> = { retry: null, connect: null };
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
    if (this.stopped || this.ws) return;
    this.clearTimer("retry");
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
    if (this.stopped || !this.wanted || this.ws || this.status !== "connecting") return;
    const Ctor =
      this.options.WebSocket ??
      (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      this.stop(new SyncError("closed", "no WebSocket implementation: pass options.WebSocket"));
      return;
    }
    const ws = new Ctor(
      connectionUrl(this.options.url, this.docId, token, this.epoch, this.options.params),
    );
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.timers.connect = this.clock.setTimeout(
      () => this.drop(ws, "connection attempt timed out"),
      CONNECT_TIMEOUT_MS,
    );
    let opened = false;
    ws.onopen = () => ((opened = true), this.onOpen(ws));
    ws.onmessage = (event) => this.onMessage(ws, event.data);
    ws.onclose = (event) => this.onClose(ws, event.code, event.reason);
    // A failed attempt fires error, and browsers follow with close(1006) — Node's WebSocket
    // does not. After open, wait for close (it carries the code); keep-alive backs that up.
    ws.onerror = () => opened || this.drop(ws, "connection failed");
  }

  /** Closes the connection and stays disconnected until `connect()`. */
  disconnect(): void {
    this.wanted = false;
    this.clearTimer("retry");
    if (this.ws) this.drop(this.ws, "disconnect requested", 1000);
    else if (!this.stopped) this.setStatus("disconnected");
  }

  private onOpen(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    this.clearTimer("connect");
    this.keepAlive = new KeepAlive(
      this.clock,
      () => ws.send("ping"),
      () => this.drop(ws, "no answer to ping"),
      this.options.pingIntervalMs,
      this.options.pongTimeoutMs,
    );
    this.outbox.attach(ws);
    ws.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    this.presence?.announce();
  }

  private onMessage(ws: WebSocketLike, data: unknown): void {
    if (ws !== this.ws) return;
    this.keepAlive?.noteMessage();
    this.setStatus("connected"); // the server accepted us: it refuses by closing at once
    if (typeof data === "string") return; // "pong", the keep-alive's auto-response
    let message: ServerMessage;
    try {
      message = decodeServerMessage(new Uint8Array(data as ArrayBuffer));
    } catch (err) {
      this.fail(new SyncError("protocol", (err as Error).message));
      return this.drop(ws, "undecodable frame from server");
    }
    this.dispatch(ws, message);
  }

  private dispatch(ws: WebSocketLike, message: ServerMessage): void {
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
    if (this.ws?.readyState === 1) this.ws.send(frame); // OPEN, though maybe not yet accepted
  }

  private onClose(ws: WebSocketLike, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.detach(ws);
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
  private detach(ws: WebSocketLike): void {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.ws = null;
    this.outbox.detach();
    this.clearTimer("connect");
    this.keepAlive?.stop();
    this.keepAlive = null;
    this.presence?.forgetOthers();
    if (this.synced) {
      this.synced = false;
      this.emit("synced", false);
    }
  }

  /** Closes a socket from our side and handles it as a transient failure. */
  private drop(ws: WebSocketLike, reason: string, code = 4000): void {
    if (ws !== this.ws) return;
    this.detach(ws);
    try {
      ws.close(code === 1000 ? 1000 : 4000, reason);
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
    this.clearTimer("retry");
    this.timers.retry = this.clock.setTimeout(() => {
      this.timers.retry = null;
      void this.connect();
    }, delayMs);
  }

  private onNetworkChange(): void {
    if (this.stopped || !this.wanted) return;
    if (this.network.offline) {
      // Sockets to a dead network can linger for minutes before erroring: close now.
      if (this.ws) this.drop(this.ws, "network went offline", 1000);
      this.clearTimer("retry");
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
    for (const name of Object.keys(this.timers) as (keyof typeof this.timers)[])
      this.clearTimer(name);
    this.outbox.clearTimers();
    this.network.close();
    this.setStatus("disconnected");
    if (error) this.fail(error);
    const reason = error ?? new SyncError("destroyed", "provider destroyed");
    for (const reject of [...this.waiters]) reject(reason);
  }

  private fail(error: SyncError): void {
    this.emit("error", error);
  }

  private setStatus(status: ProviderStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", status);
  }

  private clearTimer(name: keyof typeof this.timers): void {
    if (this.timers[name] !== null) this.clock.clearTimeout(this.timers[name]);
    this.timers[name] = null;
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
    if (done()) return Promise.resolve();
    if (this.stopped)
      return Promise.reject(new SyncError("destroyed", `provider stopped before ${event}`));
    return new Promise((resolve, reject) => {
      const finish = () => {
        off();
        this.waiters.delete(fail);
      };
      const fail = (error: SyncError) => (finish(), reject(error));
      const off = this.on(event, () => done() && (finish(), resolve()));
      this.waiters.add(fail);
    });
  }

  /**
   * Stops syncing: tells peers our presence is gone, closes the socket, detaches from the doc.
   * Resolves once pending writes to the offline store have finished.
   */
  async destroy(): Promise<void> {
    this.presence?.destroy();
    this.outbox.flush();
    this.doc.off("update", this.onDocUpdate);
    const ws = this.ws;
    if (ws) {
      this.detach(ws);
      ws.close(1000, "provider destroyed");
    }
    this.detached = true;
    this.stop(null);
    this.removeAllListeners();
    await this.local?.settled();
  }
}
