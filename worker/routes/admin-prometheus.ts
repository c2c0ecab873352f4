// GET /v1/metrics's body: totals across documents (D1's index, storage/d1-record.ts metricTotals)
// in Prometheus' text exposition format 0.0.4, every series named `edgesync_…` with HELP and TYPE.
import type { MetricTotals } from "../../durable-objects/storage/d1-record";

/** The Content-Type of the text format. */
export const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Series = { name: string; type: "gauge" | "counter"; help: string; value: number };

/** Renders the totals; refusals become one `edgesync_refusals_total{code="…"}` line per code. */
export function prometheusText(totals: MetricTotals): string {
  const series: Series[] = [
    gauge("documents", "Documents in the D1 index.", totals.documents),
    gauge(
      "documents_reporting",
      "Documents whose index row carries counters (rows flushed since migration 0003).",
      totals.reporting,
    ),
    gauge(
      "encoded_bytes",
      "Encoded size of every document at its last D1 flush, in bytes.",
      totals.encodedBytes,
    ),
    counter(
      "loads_total",
      "Loads of documents into memory (starts, wakes, reloads).",
      totals.loads,
    ),
    counter("connections_total", "WebSocket connections accepted.", totals.connections),
    counter("frames_received_total", "WebSocket frames received.", totals.frames),
    counter("updates_stored_total", "Updates stored (every change appended).", totals.updates),
    counter("update_bytes_stored_total", "Bytes of the updates stored.", totals.updateBytes),
    counter("compactions_total", "Compactions of update logs into snapshots.", totals.compactions),
    counter("d1_flushes_total", "Snapshots replicated to D1.", totals.flushes),
    counter("d1_flush_failures_total", "D1 flushes that failed (retried).", totals.flushFailures),
    gauge(
      "quarantined_rows",
      "Damaged stored rows kept aside for an operator.",
      totals.quarantined,
    ),
  ];
  const lines: string[] = [];
  for (const s of series) {
    const name = `edgesync_${s.name}`;
    lines.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`, `${name} ${s.value}`);
  }
  lines.push(
    "# HELP edgesync_refusals_total Refusals by close code (sockets) or error code (REST, RPC); 4529 is rate limiting.",
    "# TYPE edgesync_refusals_total counter",
  );
  for (const [code, n] of Object.entries(totals.refusals))
    lines.push(`edgesync_refusals_total{code="${escapeLabel(code)}"} ${n}`);
  return lines.join("\n") + "\n";
}

const gauge = (name: string, help: string, value: number): Series => ({
  name,
  type: "gauge",
  help,
  value,
});
const counter = (name: string, help: string, value: number): Series => ({
  name,
  type: "counter",
  help,
  value,
});

/** A label value as the text format escapes it: backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
