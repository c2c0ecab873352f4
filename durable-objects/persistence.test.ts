// The persistence schedule on an injected clock: D1 replication is debounced, bounded by a max
// delay and backed off after failures; compaction follows its thresholds and a backstop. Real
// Yjs updates go into an in-memory DocumentStore (held to the SQLite store's contract).
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DEFAULT_LIMITS } from "./config";
import type { ReplicaCopy } from "./backends";
import { COMPACT_BACKSTOP_FACTOR, Persistence } from "./persistence";
import { MemoryStore } from "./storage/memory-store";

const limits = {
  ...DEFAULT_LIMITS,
  compactLogRows: 10,
  compactLogBytes: 1024 * 1024,
  flushDebounceMs: 2_000,
  flushMaxDelayMs: 30_000,
  flushRetryBaseMs: 1_000,
  flushRetryMaxMs: 8_000,
};

/** A document whose every change is appended to the store, as the Room does. */
function setup() {
  let now = 1_000_000;
  const clock = {
    now: () => now,
    advance: (ms: number) => (now += ms),
  };
  const store = new MemoryStore();
  store.create("doc", now);
  const replica = {
    copies: [] as ReplicaCopy[],
    failing: false,
    async replicate(copy: ReplicaCopy) {
      if (this.failing) throw new Error("D1 unavailable");
      this.copies.push(copy);
      return this.copies.length;
    },
  };
  const persistence = new Persistence(store, replica, limits, clock.now);
  const doc = new Y.Doc();
  doc.on("update", (update: Uint8Array) => {
    store.append(update);
    persistence.noteChange();
  });
  const edit = (text = "x") => doc.getText("t").insert(doc.getText("t").length, text);
  /** Runs whatever is due now, as the alarm does. */
  const alarm = () => persistence.run({ doc });
  return { clock, store, replica, persistence, doc, edit, alarm };
}

/** The text a replicated snapshot holds. */
const textOf = (copy: ReplicaCopy | undefined) => {
  const doc = new Y.Doc();
  if (copy) Y.applyUpdate(doc, copy.snapshot);
  return doc.getText("t").toString();
};

describe("persistence schedule", () => {
  it("replicates once edits have paused for the debounce", async () => {
    const { clock, replica, persistence, edit, alarm, store } = setup();
    expect(persistence.dueAt()).toBeNull();
    edit("a");
    const first = clock.now();
    expect(persistence.dueAt()).toBe(first + limits.flushDebounceMs);
    clock.advance(1_500);
    edit("b"); // the debounce restarts from the latest change
    expect(persistence.dueAt()).toBe(first + 1_500 + limits.flushDebounceMs);
    clock.advance(1_000);
    await alarm(); // early: nothing is due yet
    expect(replica.copies).toHaveLength(0);
    clock.advance(1_000);
    await alarm();
    expect(replica.copies.map(textOf)).toEqual(["ab"]);
    expect(store.replication()).toMatchObject({ generation: 1, flushedSeq: 2, failures: 0 });
    // Flushing compacted too: the snapshot and D1's generation hold the same bytes.
    expect(store.size().logRows).toBe(0);
    expect(persistence.dueAt()).toBeNull();
  });

  it("replicates within the max delay while edits keep coming", async () => {
    const { clock, replica, persistence, edit, alarm } = setup();
    const first = clock.now();
    edit();
    for (let t = 0; t < 40_000; t += 1_000) {
      clock.advance(1_000);
      edit();
      expect(persistence.dueAt()).toBeLessThanOrEqual(first + limits.flushMaxDelayMs);
      await alarm();
      if (replica.copies.length > 0) break;
    }
    expect(replica.copies).toHaveLength(1);
    expect(clock.now()).toBe(first + limits.flushMaxDelayMs);
    // The edit made after the flush's snapshot is still pending.
    edit();
    expect(persistence.dueAt()).not.toBeNull();
  });

  it("backs off exponentially after failed flushes, up to the cap, then recovers", async () => {
    const { clock, replica, persistence, edit, alarm, store } = setup();
    replica.failing = true;
    edit("kept");
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(persistence.dueAt()! - clock.now());
      await alarm();
      delays.push(persistence.dueAt()! - clock.now());
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(persistence.flushState()).toMatchObject({
      failures: 6,
      generation: 0,
      lastError: "D1 unavailable",
    });
    // A change meanwhile does not bring the retry forward (D1 is given its time).
    const retryAt = persistence.dueAt();
    edit("!");
    expect(persistence.dueAt()).toBe(retryAt);
    replica.failing = false;
    clock.advance(8_000);
    await alarm();
    expect(replica.copies.map(textOf)).toEqual(["kept!"]);
    expect(persistence.flushState()).toMatchObject({ failures: 0, lastError: null });
    expect(store.replication().flushedSeq).toBe(2);
    expect(persistence.dueAt()).toBeNull();
  });

  it("compacts at its thresholds without flushing before the debounce", async () => {
    const { clock, replica, persistence, edit, alarm, store } = setup();
    for (let i = 0; i < limits.compactLogRows - 1; i++) edit();
    expect(persistence.dueAt()).toBe(clock.now() + limits.flushDebounceMs);
    edit();
    expect(persistence.dueAt()).toBe(clock.now()); // compaction is due at once
    await alarm();
    expect(store.size()).toMatchObject({ logRows: 0, lastSeq: limits.compactLogRows });
    expect(store.writeTotals().compactions).toBe(1);
    expect(replica.copies).toHaveLength(0);
    expect(persistence.dueAt()).toBe(clock.now() + limits.flushDebounceMs);
  });

  it("compacts on the message path only once the log is past the backstop", async () => {
    const { persistence, edit, store, doc } = setup();
    const backstop = limits.compactLogRows * COMPACT_BACKSTOP_FACTOR;
    for (let i = 0; i < backstop - 1; i++) edit();
    persistence.compactIfOverdue({ doc });
    expect(store.size().logRows).toBe(backstop - 1);
    edit();
    persistence.compactIfOverdue({ doc });
    expect(store.size().logRows).toBe(0);
    const stored = await store.load("doc");
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored!.snapshot!);
    expect(reloaded.getText("t").toString()).toBe(doc.getText("t").toString());
  });

  it("after a reload, replicates at once the stored changes D1 does not have", async () => {
    const { clock, store, replica, edit, doc } = setup();
    edit("before the restart");
    // A new instance (after eviction): no change seen in memory, one stored.
    const reloaded = new Persistence(store, replica, limits, clock.now);
    expect(reloaded.dueAt()).toBeNull();
    clock.advance(5_000);
    reloaded.resume();
    expect(reloaded.dueAt()).toBeLessThanOrEqual(clock.now());
    await reloaded.run({ doc });
    expect(replica.copies.map(textOf)).toEqual(["before the restart"]);
    reloaded.resume();
    expect(reloaded.dueAt()).toBeNull();
  });
});
