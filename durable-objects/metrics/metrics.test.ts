// The metrics feature on the real host in Node (node:sqlite for the object's storage and for D1):
// log lines for a load, a refusal, a failed and a good flush; counters that survive a restart
// (they are in the object's SQLite) and reach the D1 row, where the totals add them up.
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { encodeSyncUpdate } from "../../protocol/messages";
import { FakeSocket, NodePlatform, nodeD1 } from "../../test/helpers/node-platform";
import { DEFAULT_LIMITS } from "../config";
import type { Handoff } from "../contract";
import { DocumentHost } from "../document-host";
import { installFeatures } from "../features";
import { persistNow } from "../operations/document";
import { D1Record } from "../storage/d1-record";

const DOC = "metrics-doc";
const WRITER: Handoff = { docId: DOC, role: "write", exp: null, sub: "ada" };
const WRITE_MS = 5_000;

function object(
  db: DatabaseSync,
  d1: D1Database,
  clock: { t: number },
  analytics: AnalyticsEngineDataset | null = null,
  metricsLog = true,
) {
  const platform = new NodePlatform(db);
  const now = () => clock.t;
  const host = new DocumentHost({ platform, d1: new D1Record(d1), limits: DEFAULT_LIMITS, now });
  const features = installFeatures(host, platform.sql, {
    limits: DEFAULT_LIMITS,
    agentLeaseMs: 60_000,
    activityMaxRows: 100,
    metricsWriteMs: WRITE_MS,
    now,
    analytics,
    metricsLog,
  });
  const connect = async () => {
    const ws = new FakeSocket();
    expect(await host.admitSocket(WRITER, null)).toBeNull();
    platform.open.push(ws);
    host.connect(ws, WRITER, false);
    return ws;
  };
  const doc = { host, features, batches: { count: 0, frames: 0, largest: 0 } };
  return { platform, host, features, doc, connect };
}

function frame(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function edit(text: string): ArrayBuffer {
  const client = new Y.Doc();
  client.getText("t").insert(0, text);
  return frame(encodeSyncUpdate(Y.encodeStateAsUpdate(client)));
}

afterEach(() => vi.restoreAllMocks());

describe("metrics", () => {
  it("logs loads, refusals and flushes, keeps counters across a restart and copies them to D1", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    const db = new DatabaseSync(":memory:");
    const d1 = nodeD1();
    const clock = { t: 1_000_000 };
    // D1 refuses writes at first: the flush fails and is counted.
    const down = {
      prepare: (q: string) => d1.prepare(q),
      batch: () => Promise.reject(new Error("D1 is down")),
    } as unknown as D1Database;

    const first = object(db, down, clock);
    const ws = await first.connect();
    first.host.handleFrames([{ ws, data: edit("hello") }]);
    const bad = await first.connect();
    first.host.handleFrames([{ ws: bad, data: frame(new Uint8Array([0x07, 0x01])) }]);
    expect(bad.closed?.code).toBe(CloseCode.ProtocolError);
    await persistNow(first.doc, { flush: true });
    expect(first.features.metrics.report()).toMatchObject({
      loads: 1,
      connectionsAccepted: 2,
      updatesStored: 1,
      d1FlushFailures: 1,
      refusals: { [CloseCode.ProtocolError]: 1 },
      lag: { unflushedUpdates: 1, uncompactedRows: 0 },
    });

    // A restart: memory is gone, the counters are in the object's SQLite. D1 is back.
    clock.t += 60_000;
    const second = object(db, d1, clock);
    await second.host.wake();
    await persistNow(second.doc, { flush: true });
    // The flush made the metrics timer due: the alarm runs it and writes D1's row.
    expect(second.platform.alarm).toBeLessThanOrEqual(clock.t);
    second.platform.alarm = null;
    await second.host.alarm();
    expect(second.platform.alarm).toBeNull();
    const report = second.features.metrics.report();
    expect(report).toMatchObject({
      loads: 2,
      connectionsAccepted: 2,
      d1FlushFailures: 1,
      d1Flushes: 1,
      refusals: { [CloseCode.ProtocolError]: 1 },
      lag: { unflushedUpdates: 0, unflushedSince: null },
      d1WrittenAt: clock.t,
    });
    expect(await new D1Record(d1).metricTotals()).toEqual({
      documents: 1,
      reporting: 1,
      encodedBytes: (await new D1Record(d1).get(DOC))!.encodedSize,
      loads: 2,
      connections: 2,
      frames: 0,
      updates: 1,
      updateBytes: report.updateBytesStored,
      compactions: report.compactions,
      flushes: 1,
      flushFailures: 1,
      quarantined: 0,
      refusals: { [CloseCode.ProtocolError]: 1 },
    });

    const lines = log.mock.calls.map(
      ([line]) => JSON.parse(String(line)) as Record<string, unknown>,
    );
    const kinds = lines.map((l) => `${l.edgesync} ${l.doc}`);
    expect(kinds).toEqual([
      `loaded ${DOC}`,
      `refused ${DOC}`,
      `compacted ${DOC}`,
      `flush_failed ${DOC}`,
      `loaded ${DOC}`,
      `flushed ${DOC}`,
    ]);
    expect(lines[1]).toMatchObject({ origin: "socket", code: CloseCode.ProtocolError });
    expect(lines[3]).toMatchObject({ error: "D1 is down", failures: 1 });
    expect(lines.every((l) => l.ts === 1_000_000 || l.ts === 1_060_000)).toBe(true);
  });

  it("stores nothing and sets no alarm for a document that does not exist", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const db = new DatabaseSync(":memory:");
    const viewer = object(db, nodeD1(), { t: 5 });
    const reader: Handoff = { docId: DOC, role: "read", exp: null };
    expect(await viewer.host.admitSocket(reader, null)).toBeNull();
    viewer.host.connect(new FakeSocket(), reader, false);
    expect(viewer.platform.alarm).toBeNull();
    expect(db.prepare("SELECT COUNT(*) AS n FROM es_metrics").get()).toEqual({ n: 0 });
    expect(viewer.features.metrics.report()).toMatchObject({ loads: 1, connectionsAccepted: 1 });
  });

  it("writes each event as an Analytics Engine data point when a dataset is given", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => points.push(p!) };
    const one = object(new DatabaseSync(":memory:"), nodeD1(), { t: 7 }, dataset);
    const ws = await one.connect();
    one.host.handleFrames([{ ws, data: edit("hi") }]); // a stored update: no point
    one.host.handleFrames([{ ws, data: frame(new Uint8Array([0x07, 0x01])) }]);
    await persistNow(one.doc, { flush: true });
    expect(points.map((p) => p.blobs![0])).toEqual(["loaded", "refused", "compacted", "flushed"]);
    expect(points[0]).toMatchObject({ indexes: ["loaded"], blobs: ["loaded", DOC, "new", ""] });
    expect(points[1]).toMatchObject({
      blobs: ["refused", DOC, String(CloseCode.ProtocolError), "socket"],
      doubles: [1],
    });
    expect(points[3]!.doubles![0]).toBeGreaterThan(0); // the flushed snapshot's bytes
  });

  it("prints nothing with METRICS_LOG off, and still counts and writes data points", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => points.push(p!) };
    const quiet = object(new DatabaseSync(":memory:"), nodeD1(), { t: 9 }, dataset, false);
    const ws = await quiet.connect();
    quiet.host.handleFrames([{ ws, data: frame(new Uint8Array([0x07, 0x01])) }]);
    expect(log).not.toHaveBeenCalled();
    expect(points.map((p) => p.blobs![0])).toEqual(["loaded", "refused"]);
    expect(quiet.features.metrics.report().refusals).toEqual({ [CloseCode.ProtocolError]: 1 });
  });
});
