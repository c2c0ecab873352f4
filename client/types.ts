// The seams of the client SDK: the WebSocket it drives, the offline store it writes to and
// the clock it schedules with. Declared here (not taken from DOM typings) so the SDK builds
// and runs in browsers, React Native and Node alike.

/** The subset of the WHATWG WebSocket the provider uses (browsers, React Native, Node 22, `ws`). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor, e.g. `globalThis.WebSocket` or the `ws` package's default export. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What a store remembers about a document besides its updates. */
export interface StoreMeta {
  /** The server's name for this incarnation of the document (epoch extension), if known. */
  epoch?: string;
  /** True while local changes exist that the server has not acknowledged as durably stored. */
  unsaved?: boolean;
}

/** A document as loaded from a store: updates to apply in any order, plus its metadata. */
export interface StoredDoc {
  updates: Uint8Array[];
  meta: StoreMeta;
}

/**
 * Local persistence for offline use. The provider appends every document update as it
 * happens, replaces the log with one merged update from time to time, and clears it when the
 * server says the document was deleted. Implementations must apply calls in order.
 */
export interface OfflineStore {
  load(docId: string): Promise<StoredDoc>;
  append(docId: string, update: Uint8Array): Promise<void>;
  /** Replaces every stored update of `docId` with `merged` (local compaction). */
  replace(docId: string, merged: Uint8Array): Promise<void>;
  setMeta(docId: string, meta: StoreMeta): Promise<void>;
  /** Forgets everything about `docId`. */
  clear(docId: string): Promise<void>;
}

/** Timers and randomness, injectable so tests and unusual runtimes can control them. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  random(): number;
}

/** Timer functions every supported runtime has (declared here: they are not in the ES library). */
interface TimerHost {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const timers = globalThis as unknown as TimerHost;

export const systemClock: Clock = {
  setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
  clearTimeout: (handle) => timers.clearTimeout(handle),
  now: () => Date.now(),
  random: () => Math.random(),
};
