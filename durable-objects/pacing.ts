// Sends the parts of a large first sync (sync-parts.ts) no faster than each socket drains them:
// whatever is handed to a socket waits in the runtime's send buffer (`bufferedAmount`) until the
// network takes it, so twenty phones joining a 6 MB document at once would make it hold twenty
// copies. Here a socket holds at most about PACE_QUEUED_BYTES more; the parts themselves are
// shared between joiners (loaded-doc.ts).
import type { Connection } from "./connection";

/** Bytes a socket may have waiting unsent before its next part is held back (4 parts). */
export const PACE_QUEUED_BYTES = 1024 * 1024;
/** How often held-back parts are offered again while any wait. */
export const PACE_INTERVAL_MS = 50;
/**
 * A socket that has taken nothing for this long is closed (4529): stock clients give up after 30 s
 * without a message, so it is not reading, and the timer would keep the object awake for it.
 */
export const PACE_STALL_MS = 60_000;

interface Job {
  frames: readonly Uint8Array[];
  next: number;
  /** When the socket last took a part. */
  at: number;
}

export class Pacer {
  private readonly jobs = new Map<Connection, Job>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (conn: Connection, frame: Uint8Array) => void,
    private readonly stalled: (conn: Connection) => void,
    private readonly now: () => number,
  ) {}

  /** Sends `frames` to `conn` in order, as fast as it drains them. */
  start(conn: Connection, frames: readonly Uint8Array[]): void {
    this.jobs.set(conn, { frames, next: 0, at: this.now() });
    this.offer(conn);
    this.schedule();
  }

  /** Sends what fits now; true while parts remain. */
  private offer(conn: Connection): boolean {
    const job = this.jobs.get(conn)!;
    let took = false;
    // A socket that cannot say what it holds (no bufferedAmount) is sent everything at once.
    while (
      !conn.closed &&
      job.next < job.frames.length &&
      (conn.queued?.() ?? 0) < PACE_QUEUED_BYTES
    ) {
      this.send(conn, job.frames[job.next++]!);
      took = true;
    }
    if (conn.closed || job.next === job.frames.length) {
      this.jobs.delete(conn);
      return false;
    }
    if (took) job.at = this.now();
    else if (this.now() - job.at > PACE_STALL_MS) {
      this.jobs.delete(conn);
      this.stalled(conn);
      return false;
    }
    return true;
  }

  /**
   * A short timer while parts wait, gone once all are sent: it keeps the object awake only while
   * it is sending a first sync, never while idle (hibernation needs no pending timers).
   */
  private schedule(): void {
    if (this.timer !== null || this.jobs.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const conn of [...this.jobs.keys()]) this.offer(conn);
      this.schedule();
    }, PACE_INTERVAL_MS);
  }
}
