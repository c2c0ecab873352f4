// The servers the Hocuspocus conformance cases run against: Hocuspocus's own server (the
// reference, proving the cases test the protocol and not our reading of it) and edgesync's
// `/hocuspocus` endpoint on the real server. Both take the same tokens by the same rule.
import { Server } from "@hocuspocus/server";
import { createToken, type Role } from "../../tokens/mint";
import { verifyToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { startServer } from "../helpers/server";
import { sharedServer } from "../helpers/shared-servers";

export interface RunningTarget {
  /** The WebSocket URL a provider is given (no document name in it). */
  url: string;
  /** A token for one document and role, signed as `edgesync/tokens` signs it. */
  tokenFor(doc: string, role: Role): Promise<string>;
  /** SIGKILLs the server and starts it again on the same port and storage, if it can. */
  restart?(): Promise<void>;
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  /** Open access (no tokens checked): cases about roles and refusals do not apply. */
  open?: boolean;
  /** Why the target does not run by default yet (HOCUSPOCUS_TARGETS=<name> runs it anyway). */
  pending?: string;
  start(): Promise<RunningTarget>;
}

const tokenFor = (doc: string, role: Role) => createToken(TEST_AUTH_SECRET, { doc, role });

/**
 * `@hocuspocus/server` in this process. `onAuthenticate` applies the Worker's own token check
 * (worker/tokens.ts) and maps role `read` to the read-only scope, as edgesync does. Stateless
 * messages are relayed to the document's other connections — Hocuspocus relays nothing unless a
 * hook does, and that is the behaviour this suite expects (see PROTOCOL-NOTES.md).
 */
export const hocuspocusServer: Target = {
  name: "@hocuspocus/server",
  async start() {
    const server = new Server({
      address: "127.0.0.1",
      // A port of the kernel's choosing, not one from helpers/server.ts's slices: other test
      // processes reconnect to their SIGKILLed servers' slice ports, and must not reach this one.
      port: 0,
      quiet: true,
      stopOnSignals: false,
      async onAuthenticate({ token, documentName, connectionConfig }) {
        const result = await verifyToken(token, TEST_AUTH_SECRET, documentName);
        if (!result.ok) throw Object.assign(new Error(result.message), { reason: result.code });
        connectionConfig.readOnly = result.claims.role === "read";
      },
      async onStateless({ document, connection, payload }) {
        document.broadcastStateless(payload, (other) => other !== connection);
      },
    });
    await server.listen();
    return {
      url: `ws://127.0.0.1:${server.address.port}`,
      tokenFor,
      stop: () => server.destroy(),
    };
  },
};

/** The real server as `npm start` runs it, with token auth on. */
export const edgesyncServer: Target = {
  name: "edgesync",
  async start() {
    const server = await startServer({ vars: { AUTH_SECRET: TEST_AUTH_SECRET } });
    return {
      url: `ws://127.0.0.1:${server.port}/hocuspocus`,
      tokenFor,
      restart: () => server.restart(),
      stop: () => server.dispose(),
    };
  },
};

export const TARGETS: Target[] = [hocuspocusServer, edgesyncServer];

/** The suite's shared open server (`npm start`: open access), already running. */
export const edgesyncOpen: Target = {
  name: "edgesync (open access)",
  open: true,
  async start() {
    const { port } = sharedServer("open");
    return { url: `ws://127.0.0.1:${port}/hocuspocus`, tokenFor, stop: async () => {} };
  },
};

/** Whether a target runs: not pending, or named in HOCUSPOCUS_TARGETS (comma-separated). */
export function runs(target: Target): boolean {
  const named = (process.env.HOCUSPOCUS_TARGETS ?? "").split(",").map((n) => n.trim());
  return !target.pending || named.includes(target.name);
}
