// GET /v1/metrics's body as a strict Prometheus text reader sees it (test/helpers/prometheus.ts):
// every series `edgesync_…` with HELP and TYPE, refusals one series per code with its label
// escaped, and the reader itself refusing what the format does not allow.
import { describe, expect, it } from "vitest";
import { parsePrometheus, sampleOf } from "../../test/helpers/prometheus";
import { prometheusText } from "./admin-prometheus";

const TOTALS = {
  documents: 3,
  reporting: 2,
  encodedBytes: 1234,
  loads: 7,
  connections: 5,
  frames: 99,
  updates: 42,
  updateBytes: 4096,
  compactions: 2,
  flushes: 4,
  flushFailures: 1,
  quarantined: 0,
  refusals: { "4529": 2, invalid_update: 1, 'odd"code\\': 1 },
};

describe("the Prometheus text of GET /v1/metrics", () => {
  it("parses, with HELP and TYPE for every edgesync_ series and one refusal series per code", () => {
    const families = parsePrometheus(prometheusText(TOTALS));
    for (const [name, family] of families) {
      expect(name).toMatch(/^edgesync_[a-z0-9_]+$/);
      expect(family.help).not.toBe("");
      expect(family.type).toBe(name.endsWith("_total") ? "counter" : "gauge");
    }
    expect(sampleOf(families, "edgesync_documents")).toBe(3);
    expect(sampleOf(families, "edgesync_updates_stored_total")).toBe(42);
    expect(sampleOf(families, "edgesync_d1_flush_failures_total")).toBe(1);
    expect(sampleOf(families, "edgesync_refusals_total", '{code="4529"}')).toBe(2);
    expect(sampleOf(families, "edgesync_refusals_total", '{code="odd\\"code\\\\"}')).toBe(1);
    expect(families.get("edgesync_refusals_total")!.samples.size).toBe(3);
  });

  it("is read by a parser that refuses what the format does not allow", () => {
    const ok = "# TYPE a counter\na 1\n";
    expect(parsePrometheus(ok).get("a")!.samples.get("")).toBe(1);
    expect(() => parsePrometheus("a 1\n")).toThrow(/before its TYPE/);
    expect(() => parsePrometheus("# TYPE a counter\na one\n")).toThrow(/not a number/);
    expect(() => parsePrometheus("# TYPE a counter\na 1\na 2\n")).toThrow(/repeated/);
    expect(() => parsePrometheus("# TYPE a counter\na{code=4529} 1\n")).toThrow(/bad labels/);
    expect(() => parsePrometheus("# TYPE a counter\na 1")).toThrow(/newline/);
  });
});
