// The metrics feature on the document's seam: log lines (log-lines.ts), counters (counters.ts)
// stored in the document's SQLite and copied beside its D1 row, where GET /v1/metrics sums them.
// The hot path pays nothing: a stored update is counted by the store's own figures and frames by
// the Inbox; the counters reach SQLite and D1 only on the writes listed in counters.ts.
import type { DocumentMetrics } from "../contract";
import type { DocumentHost } from "../document-host";
import type { Persistence } from "../persistence";
import { MetricsTable } from "../storage/metrics-table";
import type { DocumentCounterRow } from "../storage/d1-record";
import type { Sql } from "../storage/sqlite-log";
import { DocumentCounters, KEY, refusedKey } from "./counters";
import { writePoint } from "./analytics";
import { logEvents, type LogSink } from "./log-lines";

/** The timer that stores the counters and copies them to D1. */
export const METRICS_TIMER = "metrics";

export interface MetricsSettings {
  /** Longest a counter change waits before it is copied to D1 (METRICS_WRITE_MS). */
  writeMs: number;
  /** Frames received since the object started (the Inbox's count). */
  frames: () => number;
  persistence: () => Persistence | null;
  now: () => number;
  /** Where log lines go (console.log by default; a no-op when METRICS_LOG is false). */
  sink?: LogSink;
  /** A Workers Analytics Engine dataset that also gets each line's event, or null. */
  analytics?: AnalyticsEngineDataset | null;
}

export interface Metrics {
  /** The document's counters and persistence lag, now (for its stats). */
  report(): DocumentMetrics;
}

export function installMetrics(host: DocumentHost, sql: Sql, settings: MetricsSettings): Metrics {
  const { events, timers } = host;
  const { now, writeMs } = settings;
  const counters = new DocumentCounters(new MetricsTable(sql), settings.frames);
  /** The document's id as last loaded (log lines name it without a storage read). */
  let docId: string | null = null;
  let notMigratedTold = false;

  const exists = () => {
    try {
      return host.exists();
    } catch {
      return false; // storage not open
    }
  };
  /** Counts a rare event: stored at once (when the document exists), copied to D1 within writeMs. */
  const count = (key: string) => {
    // A document that does not exist (a 404, a reader's view) keeps its counts in memory and
    // sets no alarm: its object stores nothing.
    const stored = exists();
    counters.add(key, 1, stored);
    if (stored) timers.at(METRICS_TIMER, now() + writeMs);
  };

  const print: LogSink = settings.sink ?? ((line) => console.log(line));
  const dataset = settings.analytics;
  const sink: LogSink = dataset
    ? (line, event) => (print(line, event), writePoint(dataset, event))
    : print;
  logEvents(events, () => docId ?? safeDocId(host), now, sink);
  events.on("loaded", (e) => {
    docId = e.docId;
    count(KEY.loads);
  });
  events.on("connected", () => count(KEY.connections));
  events.on("refused", ({ code }) => count(refusedKey(code)));
  events.on("replicated", (e) => {
    if (!e.ok) return count(KEY.flushFailures);
    // Right after each flush, so D1's row carries counters as fresh as its snapshot.
    timers.at(METRICS_TIMER, now());
  });
  events.on("deleted", () => counters.reset());

  const report = (): DocumentMetrics => {
    const values = counters.values();
    const { store } = host;
    const size = store.size();
    const totals = store.writeTotals();
    const { flushedSeq } = store.replication();
    const unflushed = Math.max(0, size.lastSeq - flushedSeq);
    return {
      loads: values.get(KEY.loads) ?? 0,
      connectionsAccepted: values.get(KEY.connections) ?? 0,
      framesReceived: values.get(KEY.frames) ?? 0,
      updatesStored: size.lastSeq,
      updateBytesStored: totals.log_bytes_total + size.logBytes,
      compactions: totals.compactions,
      d1Flushes: totals.d1_flushes,
      d1FlushFailures: values.get(KEY.flushFailures) ?? 0,
      refusals: counters.refusals(values),
      lag: {
        unflushedUpdates: unflushed,
        unflushedSince: unflushed > 0 ? (settings.persistence()?.unflushedSince() ?? null) : null,
        uncompactedRows: size.logRows,
        uncompactedBytes: size.logBytes,
      },
      d1WrittenAt: values.get(KEY.d1WrittenAt) ?? 0,
    };
  };

  timers.register(METRICS_TIMER, async () => {
    if (!host.loaded || !exists()) return null;
    counters.save();
    const metrics = report();
    const row: DocumentCounterRow = {
      loads: metrics.loads,
      connections: metrics.connectionsAccepted,
      frames: metrics.framesReceived,
      updates: metrics.updatesStored,
      updateBytes: metrics.updateBytesStored,
      compactions: metrics.compactions,
      flushes: metrics.d1Flushes,
      flushFailures: metrics.d1FlushFailures,
      quarantined: host.store.quarantined().length,
      refusals: metrics.refusals,
    };
    const at = now();
    try {
      await host.d1.writeMetrics(docId ?? safeDocId(host) ?? "", row, at);
    } catch (err) {
      const message = (err as Error).message;
      if (/no such (column|table)/.test(message)) {
        // Not retried: only applying the migrations helps (migrations/0003_document_metrics.sql).
        if (!notMigratedTold)
          console.error(
            `edgesync: D1 lacks the metrics columns: apply edgesync's migrations (${message})`,
          );
        notMigratedTold = true;
        return null;
      }
      console.error(`edgesync: writing counters to D1 failed, retried: ${message}`);
      return now() + writeMs;
    }
    counters.wroteD1(at);
    return null;
  });

  return { report };
}

function safeDocId(host: DocumentHost): string | null {
  try {
    return host.store.identity().docId;
  } catch {
    return null;
  }
}
