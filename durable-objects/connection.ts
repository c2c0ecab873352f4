// A socket as the room sees it: transport-agnostic, with the facts that must survive
// hibernation kept in `state` (the DO stores it as the WebSocket attachment).
import type { Role } from "../protocol/roles";
import type { SendQueue } from "../protocol/send-queue";

/**
 * What a socket owns, as kept in its hibernation attachment: per client id, the owner's latest
 * clock and state, and how far the room clock is ahead of the owner's (absent when 0). Presence
 * (presence.ts) keeps it.
 */
export type OwnedAwareness = Record<string, [clock: number, state: unknown, offset?: number]>;

/** Per-socket facts persisted in the hibernation attachment (≤ 16 KiB). */
export interface ConnectionState {
  /** Random id for logs. */
  id: string;
  /** The document id (a document opened only by readers has none in storage to wake with). */
  doc?: string;
  role: Role;
  /** Token expiry in Unix seconds, or null when auth is off. */
  exp: number | null;
  /** The token's subject, if any. */
  sub?: string;
  /** Awareness client ids this socket introduced, with their latest clock and state. */
  aw: OwnedAwareness;
  /** Reply budget left in bytes and when it was counted (see Budgets.chargeReply). */
  reply?: [bytes: number, atMs: number];
  /** Set once the socket answered our sync step 1 (see Room.refuse). */
  answered?: true;
  /** Set for a client that asked for the extensions (`?ext=1`): it is sent progress messages. */
  ext?: true;
  /** Set when the room refused the socket: its frames still in flight are dropped unread. */
  refused?: true;
}

export interface Connection {
  readonly state: ConnectionState;
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Persists `state` (to the attachment) after the room changed it. */
  saveState(): void;
  /** Bytes sent and not yet written to the network (the runtime's `bufferedAmount`), if known. */
  queued?(): number;
  /**
   * Bytes handed to `send` on this socket (in memory), and the ranges of them that were replies
   * it asked for, in that count's coordinates (protocol/send-queue.ts).
   */
  outbound?: SendQueue;
  /** In-memory rate-limit window (reset by hibernation, which only happens when idle). */
  rate?: { windowStart: number; messages: number; bytes: number; relayed: number };
  /** This socket's messages in the document's current budget window (see Budgets). */
  share?: { epoch: number; messages: number };
  /** Awareness messages sent to this socket whose echoes are not charged yet (see Budgets). */
  echoCredit?: number;
  /** A write was refused (read role) since the last saved request: do not echo that one. */
  refusedSinceSaved?: boolean;
  /** When the socket opened, in the room's presence order (in memory: unknown after a wake). */
  openedAt?: number;
  /** Set once the room closed this connection, so nothing more is sent or applied. */
  closed?: boolean;
}
