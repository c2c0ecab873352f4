// One structured JSON log line per significant event of a document, from its events (events.ts):
// `{"edgesync":"<kind>","doc":"<id>","ts":<ms>, …}` on stdout, so `wrangler tail` and Logpush can
// filter on the `edgesync` field (docs/operations.md "Log lines" lists every kind and field).
// Never one per update: `stored` is not logged (the counters in counters.ts count it).
import { CloseCode } from "../../protocol/close-codes";
import type { DocumentEvents } from "../events";

/** The kinds of line, each with its own fields besides edgesync, doc and ts. */
export type LogKind =
  | "loaded"
  | "compacted"
  | "flushed"
  | "flush_failed"
  | "quarantined"
  | "refused"
  | "rate_limited"
  | "deleted";

/** One line's content: its kind, document, time and fields. */
export type LogEvent = { edgesync: LogKind; doc: string | null; ts: number } & Record<
  string,
  unknown
>;

/** Writes one line (console.log: stdout under wrangler dev, a log event in `wrangler tail`). */
export type LogSink = (line: string, event: LogEvent) => void;

/** Subscribes the log lines to `events`; `docId` names the document (null before it is known). */
export function logEvents(
  events: DocumentEvents,
  docId: () => string | null,
  now: () => number = Date.now,
  sink: LogSink = (line) => console.log(line),
): void {
  const log = (kind: LogKind, fields: Record<string, unknown>, doc = docId()) => {
    const event: LogEvent = { edgesync: kind, doc, ts: now(), ...fields };
    sink(JSON.stringify(event), event);
  };

  events.on("loaded", ({ docId: doc, report }) =>
    log(
      "loaded",
      {
        source: report.source,
        ms: report.ms,
        deferred: report.deferred,
        provisional: report.provisional,
        quarantined: report.quarantined.length,
        recovered: report.recovered !== null,
      },
      doc,
    ),
  );
  events.on("compacted", (e) =>
    log("compacted", {
      throughSeq: e.throughSeq,
      snapshotBytes: e.snapshotBytes,
      backstop: e.backstop,
    }),
  );
  events.on("replicated", (e) =>
    e.ok
      ? log("flushed", { generation: e.generation, flushedSeq: e.flushedSeq, bytes: e.bytes })
      : log("flush_failed", { error: e.error, failures: e.failures, retryAt: e.retryAt }),
  );
  events.on("quarantined", ({ rows }) =>
    log("quarantined", { rows: rows.length, sources: rows.map((r) => r.source) }),
  );
  events.on("refused", ({ origin, code, reason }) =>
    log(code === CloseCode.RateLimited ? "rate_limited" : "refused", { origin, code, reason }),
  );
  events.on("deleted", ({ docId: doc, epoch }) => log("deleted", { epoch }, doc));
}
