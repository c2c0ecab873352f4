// Named timers on one alarm: the alarm is set to the earliest time any task asked for, runs the
// tasks that are due (and, after a restart, the ones whose time it no longer knows), and each
// task's answer is its next time.
import { describe, expect, it } from "vitest";
import { Timers } from "./timers";

function setup(now = { t: 1_000 }) {
  const alarm = { at: null as number | null, sets: 0 };
  const platform = {
    getAlarm: async () => alarm.at,
    setAlarm: (at: number) => {
      alarm.at = at;
      alarm.sets++;
    },
    deleteAlarm: async () => void (alarm.at = null),
  };
  const timers = new Timers(platform, () => now.t);
  const runs: string[] = [];
  return { timers, alarm, now, runs };
}

describe("named timers", () => {
  it("set the alarm to the earliest time asked for, touching it only when it moves earlier", async () => {
    const { timers, alarm } = setup();
    timers.register("a", () => null);
    timers.register("b", () => null);
    await timers.wake(); // no alarm set: nothing is due
    timers.at("a", 5_000);
    timers.at("b", 3_000);
    timers.at("a", 4_000);
    timers.at("b", 9_000); // later than b's own time: changes nothing
    timers.at("a", null);
    expect(alarm).toEqual({ at: 3_000, sets: 2 });
    expect(timers.dueAt("a")).toBe(4_000);
    expect(timers.dueAt("b")).toBe(3_000);
  });

  it("run only the due tasks and set the alarm to the earliest next time they return", async () => {
    const { timers, alarm, now, runs } = setup();
    timers.register("soon", () => (runs.push("soon"), now.t + 500));
    timers.register("later", () => (runs.push("later"), null));
    await timers.wake(); // no alarm set: nothing is due
    timers.at("soon", 2_000);
    timers.at("later", 10_000);
    now.t = 2_000;
    await timers.run(1_000);
    expect(runs).toEqual(["soon"]);
    expect(alarm.at).toBe(2_500);
    now.t = 10_000;
    await timers.run(1_000);
    expect(runs).toEqual(["soon", "soon", "later"]);
    expect(timers.dueAt("later")).toBeNull();
    expect(alarm.at).toBe(10_500);
  });

  it("after a restart run every task once to learn its time, and retry a task that threw", async () => {
    const { timers, alarm, now, runs } = setup();
    let fail = true;
    timers.register("flaky", () => {
      runs.push("flaky");
      if (fail) throw new Error("D1 down");
      return null;
    });
    timers.register("idle", () => (runs.push("idle"), null));
    await timers.run(1_000); // nothing is known: both run
    expect(runs).toEqual(["flaky", "idle"]);
    expect(alarm.at).toBe(now.t + 1_000);
    fail = false;
    now.t += 1_000;
    await timers.run(1_000);
    expect(runs).toEqual(["flaky", "idle", "flaky"]);
  });

  it("keep a time asked for while a task runs, and forget everything on clear", async () => {
    const { timers, alarm, now } = setup();
    timers.register("self", () => {
      timers.at("self", now.t + 100); // asked for during its own run
      return now.t + 5_000;
    });
    await timers.run(1_000);
    expect(timers.dueAt("self")).toBe(now.t + 100);
    expect(alarm.at).toBe(now.t + 100);
    await timers.clear();
    expect(alarm.at).toBeNull();
    expect(timers.dueAt("self")).toBeNull();
    expect(() => timers.register("self", () => null)).toThrow(/already/);
  });

  it("after a restart, a later time asked for does not hide a task whose time is unknown", async () => {
    // A reader's token expires at 2,000 and the object hibernates with the alarm set for it; after
    // the wake a second socket's token (exp 9,000) asks for the timer. The alarm at 2,000 must
    // still run it, or the first reader stays connected past its expiry.
    const { timers, alarm, now, runs } = setup();
    alarm.at = 2_000;
    await timers.wake();
    timers.register("token-expiry", () => (runs.push("token-expiry"), 9_000));
    timers.at("token-expiry", 9_000);
    expect(alarm.at).toBe(2_000);
    now.t = 2_000;
    await timers.run(1_000);
    expect(runs).toEqual(["token-expiry"]);
    expect(alarm.at).toBe(9_000);
  });
});
