import { describe, expect, it } from "vitest";
import { SavedTracker } from "./saved";

describe("SavedTracker", () => {
  it("confirms only what was sent before the echoed request", () => {
    const t = new SavedTracker();
    expect(t.unsaved).toBe(false);
    expect(t.noteLocal()).toBe(true); // saved → unsaved
    expect(t.noteLocal()).toBe(false);
    t.noteSent();
    const first = t.nextRequest()!;
    expect(t.nextRequest()).toBeNull(); // one in flight at a time
    t.noteLocal(); // made after the request went out
    t.noteSent();
    expect(t.ack(first)).toBe(false); // still unsaved: the third change is not covered
    expect(t.unsaved).toBe(true);
    const second = t.nextRequest()!;
    expect(t.ack(second)).toBe(true);
    expect(t.unsaved).toBe(false);
  });

  it("does not ask when nothing new was sent, and ignores stray echoes", () => {
    const t = new SavedTracker();
    expect(t.nextRequest()).toBeNull();
    t.noteLocal();
    expect(t.nextRequest()).toBeNull(); // made but not sent yet
    expect(t.ack(42)).toBe(false);
  });

  it("forgets in-flight requests when the connection drops", () => {
    const t = new SavedTracker();
    t.noteLocal();
    t.noteSent();
    const counter = t.nextRequest()!;
    t.reset();
    expect(t.ack(counter)).toBe(false); // an echo from the old socket cannot count
    expect(t.nextRequest()).toBeNull(); // nothing counts as sent on the new connection yet
    t.noteSent();
    expect(t.ack(t.nextRequest()!)).toBe(true);
  });

  it("restores an unsaved marker from a previous session", () => {
    const t = new SavedTracker();
    t.restoreUnsaved();
    expect(t.unsaved).toBe(true);
    t.noteSent();
    expect(t.ack(t.nextRequest()!)).toBe(true);
  });
});
