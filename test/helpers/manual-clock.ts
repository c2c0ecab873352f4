// A Clock for the client's unit tests: timers fire only when the test advances time, in order.
// Kept out of client/, the folder the package is built from.
import type { Clock } from "../../client/types";

/** A manual clock: timers fire only when the test advances time. */
export function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const clock: Clock = {
    setTimeout: (fn, ms) => (timers.push({ at: now + ms, fn, id: ++nextId }), nextId),
    clearTimeout: (id) => void (timers = timers.filter((t) => t.id !== id)),
    now: () => now,
    random: () => 0,
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.fn();
    }
    now = end;
  };
  return { clock, advance, pending: () => timers.length };
}
