// Bounds of one Hocuspocus socket in the Worker relay; each is a setting of config/settings.ts
// (HOCUSPOCUS_MAX_ATTACHES…) read by the one config reader, the options over the environment.
import { defaultsOf, readTable } from "../../config/read";
import { RELAY_TABLE } from "../../config/tables";

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
  /**
   * Frames held for documents not open yet, all documents of the socket together (Hocuspocus:
   * `maxUnauthenticatedQueueMessages`, 1,000); past it the socket closes with 4205.
   */
  maxPendingMessages: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = defaultsOf(RELAY_TABLE);

/** The limits: `given` over the environment over the defaults. */
export function relayLimitsFromEnv(
  env: Record<string, unknown>,
  given: Partial<RelayLimits> = {},
): RelayLimits {
  return readTable(RELAY_TABLE, env, given);
}
