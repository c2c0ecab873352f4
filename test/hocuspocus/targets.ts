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
  tokenFor(doc: string, role: Role, ttlSeconds?: number): Promise<string>;
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

const tokenFor = (doc: string, role: Role, ttlSeconds?: number) =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds });

/**
 * `@hocuspocus/server` in this process. With `tokens`, `onAuthenticate` applies the Worker's own
 * token check (worker/tokens.ts) and maps role `read` to the read-only scope, as edgesync does; at
 * the token's `exp` the server asks for a fresh one (`requestToken`), which `onTokenSync` checks
 * the same way (a refusal closes the document "Unauthorized"), as edgesync's relay does when the
 * document's object closes an expired socket. Without `tokens` it has no `onAuthenticate` hook:
 * any token is ignored, as edgesync's open access ignores it. Stateless messages are relayed to
 * the document's other connections — Hocuspocus relays nothing unless a hook does, and that is the
 * behaviour this suite expects (see PROTOCOL-NOTES.md).
 */
function hocuspocusTarget(name: string, tokens: boolean): Target {
  return {
    name,
    open: !tokens,
    async start() {
      const refreshes = new Set<ReturnType<typeof setTimeout>>();
      const refreshAt = (exp: number, connection: { requestToken(): void }) => {
        const timer = setTimeout(
          () => {
            refreshes.delete(timer);
            connection.requestToken();
          },
          exp * 1000 - Date.now(),
        );
        refreshes.add(timer);
      };
      const check = async (token: string, documentName: string) => {
        const result = await verifyToken(token, TEST_AUTH_SECRET, documentName);
        if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
        return result.claims;
      };
      const server = new Server({
        address: "127.0.0.1",
        // A port of the kernel's choosing, not one from helpers/server.ts's slices: other test
        // processes reconnect to their SIGKILLed servers' slice ports, and must not reach this one.
        port: 0,
        quiet: true,
        stopOnSignals: false,
        ...(tokens && {
          async onAuthenticate({ token, documentName, connectionConfig }) {
            // Refused with the reason our relay gives (PermissionDenied `code: message`).
            const claims = await check(token, documentName).catch((err: Error) => {
              throw Object.assign(err, { reason: err.message });
            });
            connectionConfig.readOnly = claims.role === "read";
            return { exp: claims.exp };
          },
          async connected({ context, connection }) {
            refreshAt(context.exp, connection);
          },
          async onTokenSync({ token, documentName, connection }) {
            // Refused as Hocuspocus's own test refuses: the document closes "Unauthorized".
            refreshAt((await check(token, documentName)).exp, connection);
          },
        }),
        async onStateless({ document, connection, payload }) {
          document.broadcastStateless(payload, (other) => other !== connection);
        },
      });
      await server.listen();
      return {
        url: `ws://127.0.0.1:${server.address.port}`,
        tokenFor,
        stop: async () => {
          refreshes.forEach(clearTimeout);
          await server.destroy();
        },
      };
    },
  };
}

export const hocuspocusServer = hocuspocusTarget("@hocuspocus/server", true);
/** Hocuspocus's server with no `onAuthenticate` hook (open access). */
export const hocuspocusOpen = hocuspocusTarget("@hocuspocus/server (open access)", false);

/** The suite's shared server with token auth on (AUTH_SECRET = TEST_AUTH_SECRET), already running. */
export const edgesyncAuth: Target = {
  name: "edgesync",
  async start() {
    const { port } = sharedServer("auth");
    return { url: `ws://127.0.0.1:${port}/hocuspocus`, tokenFor, stop: async () => {} };
  },
};

/** The real server as `npm start` runs it, with token auth on, private (so it can be restarted). */
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
