import { describe, expect, it } from "vitest";
import { KeepAlive } from "./keep-alive";
import { manualClock } from "../test/helpers/manual-clock";

describe("KeepAlive", () => {
  it("pings after a quiet interval and declares the socket dead if nothing answers", () => {
    const { clock, advance } = manualClock();
    const events: string[] = [];
    new KeepAlive(
      clock,
      () => events.push(`ping@${clock.now()}`),
      () => events.push(`dead@${clock.now()}`),
      100,
      50,
    );
    advance(99);
    expect(events).toEqual([]);
    advance(1);
    expect(events).toEqual(["ping@100"]);
    advance(50);
    expect(events).toEqual(["ping@100", "dead@150"]);
  });

  it("does not ping while messages flow, and a pong keeps it alive", () => {
    const { clock, advance, pending } = manualClock();
    const events: string[] = [];
    const k = new KeepAlive(
      clock,
      () => events.push("ping"),
      () => events.push("dead"),
      100,
      50,
    );
    for (let i = 0; i < 10; i++) {
      advance(60);
      k.noteMessage();
    }
    expect(events).toEqual([]);
    advance(100);
    expect(events).toEqual(["ping"]);
    advance(10);
    k.noteMessage(); // the pong
    advance(120); // quiet again: one more ping, and its answer is not overdue yet
    expect(events).toEqual(["ping", "ping"]);
    k.stop();
    expect(pending()).toBe(0);
  });
});
