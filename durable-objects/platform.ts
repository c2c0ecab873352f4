// The port between a document host and the platform it runs on: the few things the host uses
// that Cloudflare provides (SQL, transactions, the accepted sockets, the one alarm). The Durable
// Object adapts `DurableObjectState` to it (document-object.ts); Node tests pass node:sqlite.
import type { Sql } from "./storage/sqlite-log";

/** What the host does with an accepted socket (a hibernatable WebSocket satisfies it). */
export interface HostSocket {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Bytes sent but not yet written to the client (workerd's count; the room bounds it). */
  readonly bufferedAmount: number;
  /** Facts kept with the socket across hibernation (≤ 16 KiB on Cloudflare). */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

export interface DocumentPlatform {
  /** Names the object in logs. */
  readonly name: string;
  /** The object's synchronous SQLite. */
  readonly sql: Sql;
  /** Runs `fn` as one transaction: all of its writes commit, or none. */
  transaction<T>(fn: () => T): T;
  /** Every accepted socket, those that survived hibernation included. */
  sockets(): HostSocket[];
  /** The one alarm: when it is set for, and setting or deleting it. */
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): void;
  deleteAlarm(): Promise<void>;
}
