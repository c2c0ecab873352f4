// Sends the parts of a large first sync (sync-parts.ts) no faster than each socket drains them:
// whatever is handed to a socket waits in the runtime's send buffer (`bufferedAmount`) until the
// network takes it, so twenty phones joining a 6 MB document at once would make it hold twenty
// copies. Here a socket holds at most about PACE_QUEUED_BYTES more; the parts themselves are
// shared between joiners (loaded-doc.ts). Anything else for the socket waits until its last part
// is sent, so the order is the one an unpaced answer had: a saved echo (a Hocuspocus provider's
// SyncStatus, which marks it synced) never overtakes the parts.
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
  /** Messages for the socket that came after the answer, sent once its parts are (in order). */
  held: [message: Uint8Array, reply: boolean][];
  /** Bytes of held messages the socket did not ask for (broadcasts), bounded like a queue. */
  heldBroadcastBytes: number;
}

export class Pacer {
  private readonly jobs = new Map<Connection, Job>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Set while the pacer itself sends, so its own messages are not held. */
  private sending = false;

  /**
   * `send` delivers one message; `refused` closes a socket that took nothing for PACE_STALL_MS or
   * had more than `maxHeldBytes` of broadcasts held for it (what MAX_QUEUED_BYTES bounds).
   */
  constructor(
    private readonly send: (conn: Connection, message: Uint8Array, reply: boolean) => void,
    private readonly refused: (conn: Connection, reason: string) => void,
    private readonly now: () => number,
    private readonly maxHeldBytes: number,
  ) {}

  /** Sends `frames` to `conn` in order, as fast as it drains them. */
  start(conn: Connection, frames: readonly Uint8Array[]): void {
    const held = this.jobs.get(conn)?.held ?? [];
    const heldBroadcastBytes = this.jobs.get(conn)?.heldBroadcastBytes ?? 0;
    this.jobs.set(conn, { frames, next: 0, at: this.now(), held, heldBroadcastBytes });
    this.offer(conn);
    this.schedule();
  }

  /** True when `message` is held for `conn` because its parts are still being sent. */
  hold(conn: Connection, message: Uint8Array, reply: boolean): boolean {
    const job = this.jobs.get(conn);
    if (!job || this.sending) return false;
    job.held.push([message, reply]);
    if (!reply && (job.heldBroadcastBytes += message.length) > this.maxHeldBytes) {
      this.jobs.delete(conn);
      this.refused(conn, `not reading: ${job.heldBroadcastBytes} bytes of broadcasts held`);
    }
    return true;
  }

  private deliver(conn: Connection, message: Uint8Array, reply: boolean): void {
    this.sending = true;
    try {
      this.send(conn, message, reply);
    } finally {
      this.sending = false;
    }
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
      this.deliver(conn, job.frames[job.next++]!, true);
      took = true;
    }
    if (conn.closed || job.next === job.frames.length) {
      this.jobs.delete(conn);
      for (const [message, reply] of job.held) if (!conn.closed) this.deliver(conn, message, reply);
      return false;
    }
    if (took) job.at = this.now();
    else if (this.now() - job.at > PACE_STALL_MS) {
      this.jobs.delete(conn);
      this.refused(conn, "not reading its first sync");
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
