// The optional Workers Analytics Engine output: when METRICS_ANALYTICS_BINDING names a dataset
// binding, each log line's event (log-lines.ts) is also written as one data point, to query with
// SQL across documents (docs/operations.md "Analytics Engine"). Off unless configured: wrangler.toml
// declares no dataset, so `npm start` writes none.
import type { LogEvent } from "./log-lines";

/** The dataset binding `name` names in `env`; null when unset, or (said once) not a dataset. */
export function analyticsDataset(
  env: Record<string, unknown>,
  name: string | undefined,
): AnalyticsEngineDataset | null {
  if (!name) return null;
  const dataset = env[name] as AnalyticsEngineDataset | undefined;
  if (typeof dataset?.writeDataPoint === "function") return dataset;
  if (!told.has(name)) {
    told.add(name);
    console.error(
      `edgesync: METRICS_ANALYTICS_BINDING names ${name}, which is not an Analytics Engine binding: no data points are written`,
    );
  }
  return null;
}
const told = new Set<string>();

/** The number each kind of event carries in double1. */
const VALUE: Record<LogEvent["edgesync"], string | null> = {
  loaded: "ms",
  compacted: "snapshotBytes",
  flushed: "bytes",
  flush_failed: "failures",
  quarantined: "rows",
  refused: null,
  rate_limited: null,
  deleted: null,
};
/** What each kind of event carries in blob3. */
const DETAIL: Record<LogEvent["edgesync"], string | null> = {
  loaded: "source",
  compacted: null,
  flushed: null,
  flush_failed: "error",
  quarantined: null,
  refused: "code",
  rate_limited: "code",
  deleted: null,
};

/**
 * One data point: index1 = kind (the sampling key), blob1 = kind, blob2 = document, blob3 = the
 * detail (load source, refusal code, flush error), blob4 = origin of a refusal; double1 = the
 * event's number (load ms, snapshot or flushed bytes, failures, rows; 1 otherwise).
 */
export function writePoint(dataset: AnalyticsEngineDataset, event: LogEvent): void {
  const kind = event.edgesync;
  const value = VALUE[kind] ? Number(event[VALUE[kind]!]) : 1;
  const detail = DETAIL[kind] ? String(event[DETAIL[kind]!]) : "";
  try {
    dataset.writeDataPoint({
      indexes: [kind],
      blobs: [kind, event.doc ?? "", detail.slice(0, 1024), String(event.origin ?? "")],
      doubles: [value],
    });
  } catch (err) {
    // Analytics are best effort: a refused data point never fails the document's work.
    console.error(`edgesync: writing an analytics data point failed: ${(err as Error).message}`);
  }
}
