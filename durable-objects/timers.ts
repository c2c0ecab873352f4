// Named timers on the document's one alarm. A feature registers a task under a name; the task
// returns when it wants to run next (or null). The alarm runs the tasks that are due and sets
// itself to the earliest time any task asked for. `at` is cheap (the hot path calls it after
// writes): the alarm is only touched when a task asks for an earlier time than the one set.
import type { DocumentPlatform } from "./platform";

/** Runs a timer's work; returns when it should run next (ms since the epoch), or null. */
export type TimerTask = () => number | null | Promise<number | null>;

export class Timers {
  private readonly tasks = new Map<string, TimerTask>();
  /**
   * When each task is due (null: not due). A task with no entry is unknown to this instance —
   * after a restart or hibernation memory is gone — so the alarm runs it to learn its next time.
   */
  private readonly due = new Map<string, number | null>();
  /** Mirror of the alarm, so `at` rarely touches the platform. */
  private alarmAt: number | null = null;
  /** True while `run` runs the tasks. */
  private running = false;

  constructor(
    private readonly alarm: Pick<DocumentPlatform, "getAlarm" | "setAlarm" | "deleteAlarm">,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers `task` under `name` (one task per name). */
  register(name: string, task: TimerTask): void {
    if (this.tasks.has(name)) throw new Error(`timer ${name} is already registered`);
    this.tasks.set(name, task);
  }

  /**
   * Learns the alarm already set (on start, after the tasks are registered). With no alarm set
   * nothing was due, so every task's time is known: none. With one set, the tasks stay unknown
   * and that alarm runs them all to learn their times.
   */
  async wake(): Promise<void> {
    this.alarmAt = await this.alarm.getAlarm();
    if (this.alarmAt !== null) return;
    for (const name of this.tasks.keys()) if (!this.due.has(name)) this.due.set(name, null);
  }

  /** Asks for timer `name` to run at `at` or earlier; null asks for nothing. */
  at(name: string, at: number | null): void {
    if (at === null) return;
    const due = this.due.get(name);
    // Unknown (after a restart) stays unknown: the task may be due earlier than `at` (a token
    // that expires before the one just asked for), so the next alarm runs it to learn its time.
    if (due === null || (due !== undefined && at < due)) this.due.set(name, at);
    // While the tasks run, `run` sets the alarm once they are done (a task due by then runs first).
    if (this.running) return;
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.alarm.setAlarm(at);
  }

  /** When timer `name` is due, as far as this instance knows (undefined: unknown). */
  dueAt(name: string): number | null | undefined {
    return this.due.get(name);
  }

  /**
   * The alarm fired: runs every task that is due (or unknown), in registration order, and sets
   * the alarm to the earliest next time. A task that throws is retried after `retryMs`.
   */
  async run(retryMs: number): Promise<void> {
    this.fired();
    this.running = true;
    try {
      for (const [name, task] of this.tasks) {
        // A task an earlier one made due (metrics after a flush) runs in this same pass.
        const due = this.due.get(name);
        if (due === null || (due !== undefined && due > this.now())) continue;
        this.due.set(name, null);
        let next: number | null;
        try {
          next = await task();
        } catch (err) {
          console.error(`edgesync: timer ${name} failed: ${(err as Error).message}`);
          next = this.now() + retryMs;
        }
        this.due.set(name, earliest(next, this.due.get(name) ?? null));
      }
    } finally {
      this.running = false;
    }
    const next = [...this.due.values()].reduce<number | null>(earliest, null);
    if (next !== null && (this.alarmAt === null || next < this.alarmAt)) {
      this.alarmAt = next;
      this.alarm.setAlarm(next);
    }
  }

  /** The alarm fired (whether or not the timers run): it is no longer set. */
  fired(): void {
    this.alarmAt = null;
  }

  /** Forgets every due time and deletes the alarm (the document was deleted). */
  async clear(): Promise<void> {
    for (const name of this.tasks.keys()) this.due.set(name, null);
    this.alarmAt = null;
    await this.alarm.deleteAlarm();
  }
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
