// A strict reader of Prometheus' text exposition format (0.0.4) for tests: every line a comment,
// a HELP or TYPE line, or a sample `name{label="value",…} number`; each sample's family declared
// by a TYPE line before it; no series twice. Throws on anything else, saying which line.

export interface Family {
  type: string;
  help: string;
  /** The samples: labels rendered as `{k="v",…}` ("" without labels) → value. */
  samples: Map<string, number>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, i) => {
      const fail = (why: string) => {
        throw new Error(`line ${i + 1} ${JSON.stringify(line)}: ${why}`);
      };
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta) {
        const [, kind, name, rest] = meta as unknown as [string, string, string, string];
        if (!NAME.test(name)) fail("bad metric name");
        const family = families.get(name) ?? { type: "", help: "", samples: new Map() };
        if (kind === "TYPE") {
          if (!TYPES.includes(rest)) fail(`unknown type ${rest}`);
          if (family.type || family.samples.size) fail("TYPE after the family began");
          family.type = rest;
        } else family.help = rest;
        families.set(name, family);
        return;
      }
      if (line.startsWith("#") || line.trim() === "") return;
      const sample = SAMPLE.exec(line);
      if (!sample) return fail("not a sample");
      const [, name, labels = "", value] = sample as unknown as [string, string, string, string];
      const family = families.get(name);
      if (!family?.type) fail(`sample of ${name} before its TYPE line`);
      const number = Number(value);
      if (Number.isNaN(number) && value !== "NaN") fail(`value ${value} is not a number`);
      const key = labels ? canonicalLabels(labels.slice(1, -1), fail) : "";
      if (family!.samples.has(key)) fail("series repeated");
      family!.samples.set(key, number);
    });
  return families;
}

function canonicalLabels(body: string, fail: (why: string) => never): string {
  const pairs: string[] = [];
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const m = LABEL.exec(body);
    if (!m) fail("bad labels");
    pairs.push(`${m![1]}="${m![2]}"`);
  }
  return `{${pairs.sort().join(",")}}`;
}

/** The value of `name` (with `labels`, as `{k="v"}`), or throws when the series is absent. */
export function sampleOf(families: Map<string, Family>, name: string, labels = ""): number {
  const value = families.get(name)?.samples.get(labels);
  if (value === undefined) throw new Error(`no series ${name}${labels}`);
  return value;
}
