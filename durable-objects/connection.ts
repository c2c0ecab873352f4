// A socket as the room sees it: transport-agnostic, with the facts that must survive
// hibernation kept in `state` (the DO stores it as the WebSocket attachment).
import type { OwnedAwareness } from "./presence";

export type Role = "read" | "write" | "admin";

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
}

export interface Connection {
  readonly state: ConnectionState;
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Persists `state` (to the attachment) after the room changed it. */
  saveState(): void;
  /** In-memory rate-limit window (reset by hibernation, which only happens when idle). */
  rate?: { windowStart: number; messages: number; bytes: number };
  /** A write was refused (read role) since the last saved request: do not echo that one. */
  refusedSinceSaved?: boolean;
  /** When the socket opened, in the room's presence order (in memory: unknown after a wake). */
  openedAt?: number;
  /** Set once the room closed this connection, so nothing more is sent or applied. */
  closed?: boolean;
}

export function canWrite(role: Role): boolean {
  return role === "write" || role === "admin";
}
