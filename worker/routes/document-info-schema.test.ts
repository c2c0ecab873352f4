// The public document info: computed from the Durable Object's stats with exactly the fields the
// OpenAPI schema names (nothing internal leaks), the schema being the Worker's own.
import { describe, expect, it } from "vitest";
import { documentInfo, type DocumentStats } from "../../durable-objects/contract";
import { DocumentInfoSchema } from "./document-info-schema";

const stats: DocumentStats = {
  docId: "d",
  epoch: "e1",
  connections: 2,
  logRows: 7,
  updateCount: 9,
  snapshotBytes: 100,
  encodedBytes: 120,
  createdAt: 1,
  updatedAt: 2,
  d1: { generation: 3, flushedSeq: 8, failures: 0, lastError: null },
  written: { compactions: 1 },
  quarantined: [{ id: 1, source: "log", reason: "crc", bytes: 5, at: 3 }],
  lastLoad: {
    source: "storage",
    quarantined: [],
    recovered: { from: "d1", generation: 2, lostSeqs: [4, 6] },
    provisional: false,
    ms: 12,
    deferred: true,
  },
  snapshotPending: false,
  batches: { count: 4, frames: 10, largest: 5 },
  metrics: {
    loads: 1,
    connectionsAccepted: 2,
    framesReceived: 10,
    updatesStored: 9,
    updateBytesStored: 300,
    compactions: 1,
    d1Flushes: 1,
    d1FlushFailures: 0,
    refusals: { "4529": 1 },
    lag: { unflushedUpdates: 1, unflushedSince: 5, uncompactedRows: 7, uncompactedBytes: 50 },
    d1WrittenAt: 4,
  },
  webhooks: { pending: 2, oldestAgeMs: 1500 },
};

describe("the public document info", () => {
  it("is computed from the stats with exactly the schema's fields", () => {
    const info = documentInfo("d", stats);
    expect(DocumentInfoSchema.strict().parse(info)).toEqual(info);
    expect(info).toMatchObject({
      id: "d",
      encodedSize: 120,
      generation: 3,
      quarantinedRows: 1,
      lastLoad: { source: "storage", ms: 12, deferred: true },
    });
    // Internal load details stay inside the Durable Object.
    expect(Object.keys(info.lastLoad!).sort()).toEqual(["deferred", "ms", "recovered", "source"]);
    expect(documentInfo("d", { ...stats, lastLoad: null }).lastLoad).toBeNull();
  });
});
