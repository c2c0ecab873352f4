// SyncClient: many documents over one WebSocket to `/mux`. Each SyncProvider it makes rides a
// channel of the shared socket (a VirtualSocket), so stores, saved acks, epochs, backoff, token
// refresh and close codes work exactly as over a direct socket, one document's failure alone.
import { Emitter } from "./emitter";
import { SyncError } from "./errors";
import type { SyncProgress } from "./progress";
import { CHANNEL_BASE, MuxSocket, type MuxSocketOptions } from "./mux-socket";
import { SyncProvider, type SyncProviderOptions } from "./provider";
import { systemClock, type Clock, type WebSocketConstructor } from "./types";

export interface SyncClientOptions {
  /** The multiplexed endpoint, e.g. `ws://127.0.0.1:8787/mux`. */
  url: string;
  /** Defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Timers for the shared socket's keep-alive, and the default for its providers. */
  clock?: Clock;
  /** Keep-alive of the shared socket (defaults: PING_INTERVAL_MS, PONG_TIMEOUT_MS). */
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
}

/** A provider's options on a SyncClient: the client supplies the URL and the socket. */
export type SyncClientProviderOptions = Omit<SyncProviderOptions, "url" | "WebSocket">;

export interface SyncClientEvents {
  /** One document's first sync in parts advanced (its provider's `progress` event). */
  progress: [docId: string, progress: SyncProgress];
}

export class SyncClient extends Emitter<SyncClientEvents> {
  /** The shared socket new channels go to; one whose budget is spent is left to its channels. */
  private mux: MuxSocket;
  private readonly muxOptions: MuxSocketOptions;
  /** Real sockets of shared sockets replaced so far (see socketsOpened). */
  private retiredSockets = 0;
  private readonly clock: Clock;
  private readonly providers = new Set<SyncProvider>();
  private destroyed = false;

  constructor(options: SyncClientOptions) {
    super();
    const Ctor =
      options.WebSocket ??
      (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new SyncError("closed", "no WebSocket implementation: pass options.WebSocket");
    this.clock = options.clock ?? systemClock;
    this.muxOptions = {
      url: options.url,
      WebSocket: Ctor,
      clock: this.clock,
      pingIntervalMs: options.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs,
    };
    this.mux = new MuxSocket(this.muxOptions);
  }

  /** Real WebSockets opened so far (one, unless the shared socket dropped, idled or was spent). */
  get socketsOpened(): number {
    return this.retiredSockets + this.mux.socketsOpened;
  }

  /** The shared socket for a new channel: a fresh one once the server said the budget is spent. */
  private channel(url: string) {
    if (this.mux.spent) {
      this.retiredSockets += this.mux.socketsOpened;
      this.mux = new MuxSocket(this.muxOptions);
    }
    return this.mux.channel(url);
  }

  /** A SyncProvider for one document over the shared socket. */
  provider(options: SyncClientProviderOptions): SyncProvider {
    if (this.destroyed) throw new SyncError("destroyed", "SyncClient destroyed");
    // `new Channel(url)` returns the channel: the provider builds its URL (token, epoch, params)
    // as for a direct socket, and the channel carries that query to the server.
    const channel = (url: string) => this.channel(url);
    const Channel = function (url: string) {
      return channel(url);
    } as unknown as WebSocketConstructor;
    const provider = new SyncProvider({
      clock: this.clock,
      ...options,
      url: CHANNEL_BASE,
      WebSocket: Channel,
    });
    this.providers.add(provider);
    provider.on("progress", (progress) => this.emit("progress", options.docId, progress));
    return provider;
  }

  /** Destroys every provider made here (awaiting their stores), then closes the shared socket. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    const providers = [...this.providers];
    this.providers.clear();
    await Promise.all(providers.map((p) => p.destroy()));
    this.mux.destroy();
  }
}
