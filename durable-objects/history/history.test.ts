// History over the real host in Node (node:sqlite behind the platform port, the real SqliteLog,
// persistence and D1 record): a real editing trace replayed with recorded times, then the content
// at 200+ random moments checked against a plain-string replay of the trace up to each (the
// oracle); versions; retention (pruned, the document still loads, old times refused); a document
// that existed before history; and deletion leaving no history rows.
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { NodePlatform, nodeD1 } from "../../test/helpers/node-platform";
import { loadTrace, type Trace } from "../../test/helpers/trace";
import type { CheckedUpdate } from "../admission";
import { DEFAULT_LIMITS } from "../config";
import { DocumentHost } from "../document-host";
import { installFeatures } from "../features";
import { writeUpdate } from "../operations/document-api";
import { getJsonAt } from "../operations/history";
import { D1Record } from "../storage/d1-record";
import { DAY_MS, PRUNE_BATCH_MS, type History } from "./history";

const DOC = "trace";

/** One object with history (retention in days; 0: off) on a clock the test moves. */
function object(
  retentionDays: number,
  db = new DatabaseSync(":memory:"),
  clock = { t: 1.7e12 },
  checkpointMaxUpdates?: number,
) {
  const platform = new NodePlatform(db);
  const now = () => clock.t;
  const d1 = new D1Record(nodeD1());
  const host = new DocumentHost({ platform, d1, limits: DEFAULT_LIMITS, now });
  const features = installFeatures(host, platform.sql, {
    limits: DEFAULT_LIMITS,
    agentLeaseMs: 60_000,
    activityMaxRows: 100,
    history: { retentionDays, checkpointMaxUpdates },
    now,
  });
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const hosted = { host, features, batches: { count: 0, frames: 0, largest: 0 } };
  const history = features.history as History;
  return { db, platform, host, features, hosted, history, clock, count };
}

/** A deterministic random source (the points differ per seed, not per run). */
function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** The trace's text after its first `n` transactions, by plain string edits: the oracle. */
function textAfter(trace: Trace, n: number, from = { n: 0, text: trace.startContent }) {
  let text = from.text;
  for (let i = from.n; i < n; i++)
    for (const [pos, del, insert] of trace.txns[i]!.patches)
      text = text.slice(0, pos) + insert + text.slice(pos + del);
  return { n, text };
}

/** An editor replaying `trace` through the room's write path (as REST and RPC write). */
function editorOf(o: ReturnType<typeof object>, trace: Trace) {
  const editor = new Y.Doc();
  const text = editor.getText("t");
  let update: Uint8Array | null = null;
  editor.on("update", (u: Uint8Array) => (update = u));
  let done = 0;
  const times: number[] = [];
  /** Writes the next `count` transactions, `gap()` ms apart; `times[i]` is write i's time. */
  const replay = async (count: number, gap: () => number) => {
    const room = await o.host.open(DOC, "create");
    for (const end = done + count; done < end; done++) {
      o.clock.t += gap();
      editor.transact(() => {
        for (const [pos, del, insert] of trace.txns[done]!.patches) {
          if (del > 0) text.delete(pos, del);
          if (insert) text.insert(pos, insert);
        }
      });
      const written = writeUpdate(room, update! as CheckedUpdate, "write", {
        origin: "socket",
        actor: done % 3 === 0 ? "bob" : "ada",
      });
      if (!written.ok) throw new Error(written.message);
      times.push(o.clock.t);
    }
    return { room, times };
  };
  return replay;
}

async function replay(
  o: ReturnType<typeof object>,
  trace: Trace,
  count: number,
  gap: () => number,
) {
  return editorOf(o, trace)(count, gap);
}

const textAt = (history: History, point: { at: number } | { version: string }) => {
  const past = history.docAt(point);
  if ("ok" in past) throw new Error(past.message);
  return past.doc.getText("t").toString();
};

describe("history", () => {
  const trace = loadTrace("automerge-paper");

  it("the content at 200+ random moments of a real trace equals the trace replayed up to each", async () => {
    // Checkpoints every 1,000 updates or so (the default is 5,000), so 220 reads stay cheap.
    const o = object(30, undefined, undefined, 1_000);
    const next = random(23);
    const COUNT = 12_000;
    const replayNext = editorOf(o, trace);
    let times: number[] = [];
    for (let done = 0; done < COUNT; done += 1_000) {
      ({ times } = await replayNext(1_000, () => 1 + Math.floor(next() * 3000)));
      await o.features.persistence()!.run(o.host.loaded!); // the alarm's compaction
    }
    const size = o.history.store.size();
    expect(size.updates).toBe(COUNT);
    expect(size.checkpoints).toBeGreaterThan(1); // reads start from several bases

    // Points: a moment after the i-th write (and before the next), plus the very first and last.
    const points = Array.from({ length: 220 }, () => Math.floor(next() * COUNT));
    points.push(0, COUNT - 1);
    points.sort((a, b) => a - b);
    let oracle = { n: 0, text: trace.startContent };
    const started = performance.now();
    for (const i of points) {
      oracle = textAfter(trace, i + 1, oracle);
      const end = i + 1 < COUNT ? times[i + 1]! - 1 : times[i]! + 5000;
      const at = times[i]! + Math.floor(next() * (end - times[i]! + 1));
      expect(textAt(o.history, { at }), `at ${at} (after write ${i})`).toBe(oracle.text);
    }
    const ms = performance.now() - started;
    console.log(
      `history oracle: ${points.length} reads in ${ms.toFixed(0)} ms (${(ms / points.length).toFixed(1)} ms each, loaded machine); ` +
        `${COUNT} updates: ${size.updateBytes} update bytes, ${size.checkpoints} checkpoints of ${size.checkpointBytes} bytes`,
    );
    // Before the document existed: not retained.
    expect(o.history.docAt({ at: times[0]! - 10_000 })).toMatchObject({
      code: "history_not_retained",
    });
  });

  it("a named version reads back as the content it named, and unknown ids are refused", async () => {
    const o = object(30);
    const replayNext = editorOf(o, trace);
    const { room } = await replayNext(300, () => 10);
    const named = o.history.createVersion(room.doc, o.host.store.size().lastSeq, "draft", "ada");
    const expected = textAfter(trace, 300).text;
    await replayNext(100, () => 10);
    expect(room.doc.getText("t").toString()).toBe(textAfter(trace, 400).text);
    expect(textAt(o.history, { version: String(named.id) })).toBe(expected);
    expect(o.history.docAt({ version: "999" })).toMatchObject({ code: "version_not_found" });
    expect(o.history.docAt({ version: "x" })).toMatchObject({ code: "version_not_found" });
  });

  it("prunes history older than the retention; the document still loads, old times are refused", async () => {
    const db = new DatabaseSync(":memory:");
    const o = object(30, db);
    // 3,000 edits over 60 days; a version named after the first 1,000.
    const replayNext = editorOf(o, trace);
    const gap = () => Math.floor((60 * DAY_MS) / 3_000);
    const { room } = await replayNext(1_000, gap);
    const named = o.history.createVersion(room.doc, o.host.store.size().lastSeq, "old", "ada");
    const { times } = await replayNext(2_000, gap);
    const before = o.history.store.size();
    // The prune timer was asked for no later than when the oldest update leaves the retention.
    expect(o.platform.alarm).toBeLessThanOrEqual(times[0]! + 30 * DAY_MS + PRUNE_BATCH_MS);
    o.history.prune();
    const after = o.history.store.size();
    const cutoff = o.clock.t - 30 * DAY_MS;
    const kept = times.filter((t) => t >= cutoff).length;
    expect(after.updates).toBe(kept);
    expect(after.updates).toBeLessThan(before.updates);
    // The base the oldest retained updates build on: reads right after the cutoff are exact.
    const firstKept = times.length - kept;
    expect(textAt(o.history, { at: times[firstKept]! })).toBe(textAfter(trace, firstKept + 1).text);
    expect(textAt(o.history, { at: times[firstKept - 1]! })).toBe(textAfter(trace, firstKept).text);
    expect(o.history.docAt({ at: times[10]! })).toMatchObject({ code: "history_not_retained" });
    // A named version outlives the retention.
    expect(textAt(o.history, { version: String(named.id) })).toBe(textAfter(trace, 1_000).text);
    // The document loads again from storage (a restart), whole.
    const again = object(30, db, o.clock);
    const reloaded = await again.host.open(DOC, "existing");
    expect(reloaded.doc.getText("t").toString()).toBe(textAfter(trace, 3_000).text);
    expect(textAt(again.history, { at: o.clock.t })).toBe(textAfter(trace, 3_000).text);
  });

  it("a document stored before history was on starts its history with a checkpoint at load", async () => {
    const db = new DatabaseSync(":memory:");
    const off = object(0, db);
    expect(off.history).toBeNull();
    await replay(off, trace, 200, () => 10);
    expect(off.count("es_history")).toBe(0);
    const refused = await getJsonAt(off.hosted, DOC, { at: off.clock.t });
    expect(refused).toMatchObject({ ok: false, status: 409, code: "history_disabled" });
    const on = object(30, db, off.clock);
    on.clock.t += 1000;
    await on.host.open(DOC, "existing");
    expect(on.count("es_checkpoints")).toBe(1);
    expect(textAt(on.history, { at: on.clock.t })).toBe(textAfter(trace, 200).text);
    expect(on.history.docAt({ at: on.clock.t - 2000 })).toMatchObject({
      code: "history_not_retained",
    });
  });

  it("deleting the document leaves no history rows", async () => {
    const o = object(30);
    const { room } = await replay(o, trace, 500, () => 10);
    o.history.createVersion(room.doc, o.host.store.size().lastSeq, "v", "ada");
    expect(o.count("es_history")).toBe(500);
    await o.host.delete(room);
    expect(o.count("es_history")).toBe(0);
    expect(o.count("es_checkpoints")).toBe(0);
  });
});
