// Stock @hocuspocus/provider clients (from npm, over `ws`) pointed at a running server's
// /hocuspocus endpoint: one shared socket, many providers.
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import * as Y from "yjs";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "./auth-secret";
import { eventually } from "./providers";
import { privatePort, startServer, type RunningServer } from "./server";

/** A provider major: @hocuspocus/provider 4.x by default, or the 3.x alias (same API subset). */
export interface ProviderLibrary {
  HocuspocusProvider: typeof HocuspocusProvider;
  HocuspocusProviderWebsocket: typeof HocuspocusProviderWebsocket;
}
const V4: ProviderLibrary = { HocuspocusProvider, HocuspocusProviderWebsocket };

/** One client socket that providers attach to; `serverUrl` is the server's http(s) URL. */
export function hocuspocusSocket(serverUrl: string, lib = V4): HocuspocusProviderWebsocket {
  return new lib.HocuspocusProviderWebsocket({
    url: `${serverUrl.replace(/^http/, "ws")}/hocuspocus`,
    WebSocketPolyfill: WebSocket,
  });
}

export interface Attached {
  provider: HocuspocusProvider;
  doc: Y.Doc;
  /** Why authentication failed, once it has. */
  denied: string | null;
  scope: string | null;
}

/** A provider for `name` on `socket`, attached (4.x does not attach a shared socket itself). */
export function attach(
  socket: HocuspocusProviderWebsocket,
  name: string,
  /** A function is called again whenever the server asks for a fresh token. */
  token: string | (() => Promise<string>),
  doc = new Y.Doc(),
  lib = V4,
): Attached {
  const attached: Attached = { doc, denied: null, scope: null } as Attached;
  attached.provider = new lib.HocuspocusProvider({
    websocketProvider: socket,
    name,
    document: doc,
    token,
    onAuthenticationFailed: ({ reason }) => (attached.denied = reason),
    onAuthenticated: ({ scope }) => (attached.scope = scope),
  });
  attached.provider.attach();
  return attached;
}

/** Resolves once every provider is synced (and throws with the laggards named). */
export function allSynced(list: Attached[], ms = 60_000): Promise<void> {
  return eventually(
    () => list.every((a) => a.provider.isSynced),
    () =>
      `not synced: ${list
        .filter((a) => !a.provider.isSynced)
        .map((a) => `${a.provider.configuration.name} (denied: ${a.denied})`)
        .join(", ")}`,
    ms,
  );
}

/** Resolves once no provider has changes the server has not confirmed stored. */
export function allSaved(list: Attached[], ms = 60_000): Promise<void> {
  return eventually(
    () => list.every((a) => !a.provider.hasUnsyncedChanges),
    () =>
      `unsaved: ${list
        .filter((a) => a.provider.hasUnsyncedChanges)
        .map((a) => `${a.provider.configuration.name}=${a.provider.unsyncedChanges}`)
        .join(", ")}`,
    ms,
  );
}

/** A token for `doc` signed with the test secret (see startAuthServer). */
export const token = (doc: string, role: "read" | "write" = "write") =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 3600 });

/** The real server with AUTH_SECRET set, on a private port (see privatePort). */
export async function startAuthServer(): Promise<RunningServer> {
  return startServer({ vars: { AUTH_SECRET: TEST_AUTH_SECRET }, port: privatePort });
}
