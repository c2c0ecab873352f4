// A document's own counters: loads, sockets accepted, frames received, failed D1 flushes and
// refusals by code. Kept in memory and stored in its SQLite (storage/metrics-table.ts) by the
// writes that happen anyway: a rare event (a load, a socket, a refusal) adds its one row as it
// happens; the frame count, which grows with every keystroke, is only added when the counters
// are saved (install.ts: after each D1 flush and on the metrics timer). The counts a store
// already keeps durably (updates, bytes, compactions, flushes) are not repeated here.
import type { MetricsTable } from "../storage/metrics-table";

/** Counter keys (stored: never rename one). A refusal is `refused:<code>`. */
export const KEY = {
  loads: "loads",
  connections: "connections",
  frames: "frames",
  flushFailures: "flush_failures",
  /** When the counters last reached D1 (ms since the epoch). */
  d1WrittenAt: "d1_written_at",
} as const;
const REFUSED = "refused:";
/** The key counting refusals with `code`. */
export const refusedKey = (code: number | string) => REFUSED + code;

export class DocumentCounters {
  /** What the table holds, once read (null: not read since start or since a delete). */
  private stored: Map<string, number> | null = null;
  /** Added in memory and not stored yet (the table could not be written, or frames). */
  private readonly pending = new Map<string, number>();
  /** The frame count (since the object started) the table has already been given. */
  private framesStored = 0;

  constructor(
    private readonly table: MetricsTable,
    /** Frames received since the object started (the Inbox counts them). */
    private readonly frames: () => number,
  ) {}

  /** Adds `by` to `key`, stored at once when `store` (false: the document does not exist yet). */
  add(key: string, by: number, store: boolean): void {
    this.pending.set(key, (this.pending.get(key) ?? 0) + by);
    if (store) this.save();
  }

  /** Stores what is pending, the frames received since the last save included. */
  save(): void {
    const frames = this.frames();
    if (frames > this.framesStored) this.add(KEY.frames, frames - this.framesStored, false);
    this.framesStored = frames;
    if (this.pending.size === 0) return;
    const stored = this.read();
    try {
      this.table.add(this.pending);
    } catch (err) {
      // Storage refused (damaged, or not open): the counts wait in memory for the next save.
      console.error(`edgesync: storing counters failed: ${(err as Error).message}`);
      return;
    }
    for (const [key, by] of this.pending) stored.set(key, (stored.get(key) ?? 0) + by);
    this.pending.clear();
  }

  /** Records when the counters reached D1. */
  wroteD1(at: number): void {
    this.table.set(KEY.d1WrittenAt, at);
    this.read().set(KEY.d1WrittenAt, at);
  }

  /** Every counter, stored and pending (frames not yet saved included). */
  values(): Map<string, number> {
    const all = new Map(this.read());
    for (const [key, by] of this.pending) all.set(key, (all.get(key) ?? 0) + by);
    const unsaved = this.frames() - this.framesStored;
    if (unsaved > 0) all.set(KEY.frames, (all.get(KEY.frames) ?? 0) + unsaved);
    return all;
  }

  /** Refusals by code. */
  refusals(values: Map<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of values) if (key.startsWith(REFUSED)) out[key.slice(REFUSED.length)] = n;
    return out;
  }

  /** The document was deleted: its table is empty, and so is memory. */
  reset(): void {
    this.stored = null;
    this.pending.clear();
    this.framesStored = this.frames();
  }

  private read(): Map<string, number> {
    try {
      return (this.stored ??= this.table.all());
    } catch {
      return new Map(); // storage not open: nothing stored is known
    }
  }
}
