// Stock Hocuspocus providers from npm — the newest 4.x and the last 3.x (installed as the alias
// `hocuspocus-provider-v3`) — over `ws`, and a per-test session that opens shared sockets and
// providers on them, counts the WebSockets it opened and tears everything down.
import * as v4 from "@hocuspocus/provider";
import * as v3 from "hocuspocus-provider-v3";
import * as decoding from "lib0/decoding";
import WebSocket from "ws";
import * as Y from "yjs";
import type { Role } from "../../tokens/mint";
import { eventually } from "../helpers/providers";
import type { RunningTarget } from "./targets";

export type Provider = v4.HocuspocusProvider;
export type Socket = v4.HocuspocusProviderWebsocket;

export interface ClientLibrary {
  name: string;
  HocuspocusProvider: typeof v4.HocuspocusProvider;
  HocuspocusProviderWebsocket: typeof v4.HocuspocusProviderWebsocket;
}

/** The two provider majors; the 3.x API is the subset of 4.x used here. */
export const CLIENTS: ClientLibrary[] = [
  { name: "@hocuspocus/provider 4.x", ...v4 },
  { name: "@hocuspocus/provider 3.x", ...(v3 as unknown as typeof v4) },
];

/** SyncStatus, the server's per-update reply (see PROTOCOL-NOTES.md). */
const SYNC_STATUS = 8;

export interface OpenOptions {
  role?: Role;
  /** A token other than the one for this document and role (e.g. for another document). */
  token?: string;
  doc?: Y.Doc;
  /** 4.x: the routing key `name\0sessionId`, so two providers of one document share a socket. */
  sessionAwareness?: boolean;
}

export interface Session {
  /** WebSockets opened so far by this session's sockets (reconnects included). */
  websocketsOpened(): number;
  /** Times any of this session's sockets was closed, by either side. */
  websocketsClosed(): number;
  socket(): Socket;
  /** A provider for `name` attached to `socket`. */
  open(socket: Socket, name: string, options?: OpenOptions): Promise<Opened>;
  /** Destroys one provider (detaching it: a CLOSE frame for its document). */
  close(opened: Opened): void;
  destroy(): void;
}

export interface Opened {
  provider: Provider;
  doc: Y.Doc;
  text: Y.Text;
  /** SyncStatus values received for this provider, in order (true = applied). */
  statuses: boolean[];
  /** Stateless payloads received. */
  stateless: string[];
  /** Reasons of PermissionDenied replies. */
  denied: string[];
}

export function session(client: ClientLibrary, target: RunningTarget): Session {
  let opened = 0;
  let closed = 0;
  class CountingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      opened++;
    }
  }
  const sockets: Socket[] = [];
  const providers = new Set<Provider>();
  return {
    websocketsOpened: () => opened,
    websocketsClosed: () => closed,
    socket() {
      const socket = new client.HocuspocusProviderWebsocket({
        url: target.url,
        WebSocketPolyfill: CountingWebSocket,
        onDisconnect: () => closed++,
      });
      sockets.push(socket);
      return socket;
    },
    async open(socket, name, options = {}) {
      const doc = options.doc ?? new Y.Doc();
      const token = options.token ?? (await target.tokenFor(name, options.role ?? "write"));
      const opened: Opened = {
        provider: undefined as unknown as Provider,
        doc,
        text: doc.getText("text"),
        statuses: [],
        stateless: [],
        denied: [],
      };
      const provider = new client.HocuspocusProvider({
        websocketProvider: socket,
        name,
        document: doc,
        token,
        ...(options.sessionAwareness ? { sessionAwareness: true } : {}),
        onAuthenticationFailed: ({ reason }) => opened.denied.push(reason),
        onStateless: ({ payload }) => opened.stateless.push(payload),
        onMessage: ({ event }) => {
          const status = syncStatusOf(event.data as ArrayBuffer);
          if (status !== null) opened.statuses.push(status);
        },
      });
      // A provider on a shared socket attaches only when asked to, in 3.x and 4.x alike.
      provider.attach();
      providers.add(provider);
      opened.provider = provider;
      return opened;
    },
    close(o) {
      providers.delete(o.provider);
      o.provider.destroy();
    },
    destroy() {
      for (const provider of providers) provider.destroy();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** The value of a SyncStatus frame, or null for any other frame. */
function syncStatusOf(data: ArrayBuffer): boolean | null {
  const decoder = decoding.createDecoder(new Uint8Array(data));
  decoding.readVarString(decoder);
  if (decoding.readVarUint(decoder) !== SYNC_STATUS) return null;
  return decoding.readVarUint(decoder) === 1;
}

export const whenSynced = (o: Opened, ms?: number) =>
  eventually(
    () => o.provider.isSynced,
    () => `${o.provider.configuration.name} is not synced (denied: ${o.denied.join(", ")})`,
    ms,
  );

/** Every change this provider sent was acknowledged with SyncStatus. */
export const whenAcknowledged = (o: Opened) =>
  eventually(
    () => o.provider.isSynced && !o.provider.hasUnsyncedChanges,
    () =>
      `${o.provider.configuration.name}: unsyncedChanges=${o.provider.unsyncedChanges}, statuses=${o.statuses.join(",")}`,
  );

export const whenText = (o: Opened, expected: string) =>
  eventually(
    () => o.text.toString() === expected,
    () => `${o.provider.configuration.name} has ${JSON.stringify(o.text.toString())}`,
  );
