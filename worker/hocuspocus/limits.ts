// Bounds of one Hocuspocus socket in the Worker relay; each is overridable through the Worker's
// environment (wrangler.toml [vars]) under the name in ENV.
import { countsFromEnv } from "../env-counts";

export interface RelayLimits {
  /**
   * Documents one socket may attach over its life. Each attach is one `stub.fetch` subrequest of
   * the socket's invocation, and Workers cap subrequests per invocation (50 Free, 10,000 Paid as
   * of 2026; the upgrade of a WebSocket counts once, its messages never). Past it the document
   * is refused with PermissionDenied; a new socket starts a new budget.
   */
  maxAttaches: number;
  /**
   * Documents not open yet (awaiting their Auth message, or being authenticated and connected) at
   * once (Hocuspocus: `maxPendingDocuments`, 100); past it the socket closes with 4205.
   */
  maxPendingDocuments: number;
  /**
   * Bytes held for documents not open yet, all documents of the socket together, while each awaits
   * its Auth message, its token check and its connection (Hocuspocus: 5 MiB); past it the socket
   * closes with 4205 (Hocuspocus's ResetConnection).
   */
  maxPendingBytes: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxAttaches: 1_000,
  maxPendingDocuments: 100,
  maxPendingBytes: 5 * 1024 * 1024,
};

const ENV: Record<keyof RelayLimits, string> = {
  maxAttaches: "HOCUSPOCUS_MAX_ATTACHES",
  maxPendingDocuments: "HOCUSPOCUS_MAX_PENDING_DOCUMENTS",
  maxPendingBytes: "HOCUSPOCUS_MAX_PENDING_BYTES",
};

/** The defaults, with any positive integer set in the environment instead. */
export function relayLimitsFromEnv(env: Record<string, unknown>): RelayLimits {
  return countsFromEnv(env, DEFAULT_RELAY_LIMITS, ENV);
}
