// Renders a results object as the Markdown tables in bench/README.md (between the results markers)
// and as an SVG chart of edgesync's ratios to each peer and the bare baseline (no browser needed).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH } from "./lib/servers.mjs";
import { ratio } from "./lib/stats.mjs";

const START = "<!-- results:start -->";
const END = "<!-- results:end -->";
const ES = "edgesync";

/** Ratios charted and checked: [scenario, metric, peer, higherIsBetter, target (edgesync ÷ peer) or null]. */
const RATIOS = [
  ["replay", "rate", "y-partyserver", true, { min: 1.5 }],
  ["replay", "rate", "y-partyserver-hib", true, { min: 1.5 }],
  ["replay", "rate", "bare-recv", true, { min: 0.75 }],
  ["replay", "rate", "bare-relay", true, null],
  ["replay", "rate", "bare-store-relay", true, null],
  ["replay", "rate", "reference", true, null],
  ["replay", "rate", "hocuspocus", true, null],
  ["replayBatch", "rate", "y-partyserver", true, null],
  ["replayBatch", "rate", "y-partyserver-hib", true, null],
  ["replayBatch", "rate", "bare-recv", true, null],
  ["replayBatch", "rate", "reference", true, null],
  ["replayBatch", "rate", "hocuspocus", true, null],
  ["fanout", "p99", "reference", false, { max: 1.5 }],
  ["fanout", "p99", "y-partyserver", false, { max: 0.1 }],
  ["fanout", "p99", "y-partyserver-hib", false, { max: 0.1 }],
  ["fanout", "p99", "hocuspocus", false, null],
  ["fanout", "p99", "bare-relay", false, null],
  ["fanout", "p99", "bare-store-relay", false, null],
  ["fanoutPlain", "p99", "reference", false, { max: 1.5 }],
  ["fanoutPlain", "p99", "y-partyserver", false, { max: 0.1 }],
  ["fanoutPlain", "p99", "y-partyserver-hib", false, { max: 0.1 }],
  ["fanoutPlain", "p99", "hocuspocus", false, null],
  ["fanoutPlain", "p99", "bare-relay", false, null],
  ["fanoutPlain", "p99", "bare-store-relay", false, null],
  ["coldLoad", "ms", "y-partyserver", false, { max: 1 }],
  ["coldLoad", "ms", "hocuspocus", false, null],
  ["memory", "openMB", "y-partyserver", false, null],
  ["memory", "openMB", "y-partyserver-hib", false, null],
  ["memory", "openMB", "bare-recv", false, null],
  ["memory", "openMB", "reference", false, null],
  ["memory", "openMB", "hocuspocus", false, null],
];
const LABELS = {
  replay: "keystroke replay",
  replayBatch: `replay, batches`,
  fanout: "fan-out p99",
  fanoutPlain: "fan-out p99, no deflate offered",
  coldLoad: "cold load",
  memory: "memory, 200 docs",
};

const fmt = (v, digits = 0) =>
  v === null || v === undefined
    ? "–"
    : Number(v).toLocaleString("en-US", {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      });
const pct = (s) => (s === null || s === undefined ? "–" : `±${fmt((s * 100) / 2, 0)}%`);
const metric = (r, scenario, target, key) =>
  r.scenarios[scenario]?.[target]?.metrics?.[key] ?? null;
const cellOf = (m, d = 0) => (m ? `${fmt(m.median, d)} (${fmt(m.min, d)}–${fmt(m.max, d)})` : "–");

export function computeRatios(r) {
  return RATIOS.map(([scenario, key, peer, higherIsBetter, target]) => {
    const value = ratio(metric(r, scenario, ES, key), metric(r, scenario, peer, key));
    const met =
      target && value !== null
        ? target.min !== undefined
          ? value >= target.min
          : value <= target.max
        : null;
    return {
      scenario,
      key,
      peer,
      higherIsBetter,
      target,
      value,
      met,
      better: value === null ? null : higherIsBetter ? value >= 1 : value <= 1,
    };
  });
}

function table(header, rows) {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function targetsOf(r, scenario) {
  return Object.keys(r.scenarios[scenario] ?? {});
}

export function markdown(r, jsonPath, svgPath) {
  const m = r.machine;
  const out = [];
  out.push(
    `Run of ${r.date.slice(0, 10)} (${r.durationSeconds} s): ${m.cores} cores (${m.cpu}), ${m.memoryGB} GB, Node ${m.node}, ` +
      `wrangler ${m.wrangler}, workerd ${m.workerd} (${m.workerdBinary ?? "?"}). ${r.params.repeats} runs each; ` +
      `edgesync at ${m.edgesync?.commit ?? "?"}${m.edgesync?.uncommitted?.length ? ` plus uncommitted changes to ${m.edgesync.uncommitted.map((l) => l.slice(3)).join(", ")}` : ""}. ` +
      `Cells are median (min–max), ± is half the range relative to the median. Raw data: [${jsonPath}](${jsonPath}); chart: [${svgPath}](${svgPath}).`,
  );
  out.push(`\n![edgesync ÷ peers](${svgPath})`);
  for (const [scenario, title] of [
    [
      "replay",
      `Keystroke replay, one message per transaction (first ${fmt(r.params.replayTxns)} transactions)`,
    ],
    ["replayBatch", `Keystroke replay, ${r.params.batch} transactions per message (whole trace)`],
  ]) {
    const es = metric(r, scenario, ES, "rate");
    out.push(`\n### ${title} — messages/s, higher is better\n`);
    out.push(
      table(
        ["server", "messages/s", "spread", "edgesync ÷ it", "text verified"],
        targetsOf(r, scenario).map((t) => {
          const x = metric(r, scenario, t, "rate");
          const v = r.scenarios[scenario][t].verified;
          return [
            t,
            cellOf(x),
            pct(x?.spread),
            t === ES ? "1" : fmt(ratio(es, x), 2),
            v === null ? "n/a (receive-only)" : v ? "yes" : "**no**",
          ];
        }),
      ),
    );
  }
  for (const [scenario, clients] of [
    ["fanout", "stock clients: permessage-deflate offered, as `ws` and browsers do"],
    ["fanoutPlain", "clients do not offer permessage-deflate"],
    ["muxFanout", "/sync, the /hocuspocus relay and @hocuspocus/server; no deflate offered"],
  ]) {
    if (!r.scenarios[scenario]) continue;
    const esP99 = metric(r, scenario, ES, "p99");
    const deflated = (t) =>
      r.scenarios[scenario][t].samples.map((x) => x.deflate).filter((v) => v !== undefined);
    out.push(
      `\n### Fan-out — 1 writer at ${r.params.fanoutRate} updates/s for ${r.params.fanoutSeconds} s, ${r.params.fanoutReaders} readers; ${clients} (ms, lower is better)\n`,
    );
    out.push("p99 steady leaves out the writes of the first second.\n");
    out.push(
      table(
        [
          "server",
          "p50",
          "p99",
          "p99 steady",
          "max",
          "p99 spread",
          "edgesync p99 ÷ it",
          "delivered",
          "deflate negotiated",
        ],
        targetsOf(r, scenario).map((t) => {
          const d = metric(r, scenario, t, "delivered");
          const e = metric(r, scenario, t, "expected");
          const x = deflated(t);
          return [
            t,
            cellOf(metric(r, scenario, t, "p50"), 1),
            cellOf(metric(r, scenario, t, "p99"), 1),
            cellOf(metric(r, scenario, t, "p99Steady"), 1),
            cellOf(metric(r, scenario, t, "max"), 1),
            pct(metric(r, scenario, t, "p99")?.spread),
            t === ES ? "1" : fmt(ratio(esP99, metric(r, scenario, t, "p99")), 2),
            d && e ? `${fmt(d.min)}/${fmt(e.median)}` : "–",
            x.length === 0
              ? "n/a"
              : x.every(Boolean)
                ? "yes"
                : x.some(Boolean)
                  ? "some runs"
                  : "no",
          ];
        }),
      ),
    );
  }
  if (r.scenarios.muxOpen) {
    out.push(
      `\n### Opening ${r.params.muxDocs} documents at once — until all are synced (ms, lower is better)\n`,
    );
    out.push(
      "Fresh: new documents. Warm: the same documents opened again right after; each holds a " +
        "marker written by the fresh open, checked once synced.\n",
    );
    out.push(
      table(
        ["row", "fresh", "fresh spread", "warm", "warm spread", "marker found"],
        targetsOf(r, "muxOpen").map((t) => {
          const [fresh, warm] = ["freshMs", "warmMs"].map((k) => metric(r, "muxOpen", t, k));
          const v = r.scenarios.muxOpen[t].verified;
          return [
            t,
            cellOf(fresh),
            pct(fresh?.spread),
            cellOf(warm),
            pct(warm?.spread),
            v ? "yes" : "**no**",
          ];
        }),
      ),
    );
  }
  const esCold = metric(r, "coldLoad", ES, "ms");
  out.push(
    `\n### Cold load — fresh client after a restart, whole document (ms, lower is better)\n`,
  );
  out.push(
    table(
      ["server", "ms", "spread", "edgesync ÷ it", "text verified"],
      [
        ...targetsOf(r, "coldLoad").map((t) => {
          const x = metric(r, "coldLoad", t, "ms");
          return [
            t,
            cellOf(x, 1),
            pct(x?.spread),
            t === ES ? "1" : fmt(ratio(esCold, x), 2),
            r.scenarios.coldLoad[t].verified ? "yes" : "**no**",
          ];
        }),
        ["reference", "n/a: in memory, nothing survives a restart", "", "", ""],
      ],
    ),
  );
  out.push(
    `\n### Durability — SIGKILL ${r.params.killAfterMs / 1000} s after a reader got its first update, then restart\n`,
  );
  out.push(
    table(
      ["server", "sent (per run)", "received by a reader", "received, then lost"],
      targetsOf(r, "durability").map((t) => {
        const s = r.scenarios.durability[t].samples;
        const list = (k) => s.map((x) => fmt(x[k])).join(", ");
        return [
          t,
          list("sent"),
          list("received"),
          s.some((x) => x.lost > 0) ? `**${list("lost")}**` : list("lost"),
        ];
      }),
    ),
  );
  out.push(
    `\n### Memory and idle — ${r.params.memoryDocs} open documents of ${fmt(r.params.memoryDocTxns)} transactions each\n`,
  );
  out.push(
    "Memory is the serving process's RSS (workerd, or the Node server) above the idle server, in MB. " +
      "Round trips (sync step 1 → 2, or the bare baseline's echo) are medians over the documents: warm, and after " +
      `${r.params.idleMs / 1000} s idle with the sockets open — a slow one means the document was reloaded (hibernation).\n`,
  );
  out.push(
    table(
      [
        "server",
        "open",
        "idle, sockets open",
        "after closing",
        "round trip warm",
        "after idle",
        "DO constructions warm → after idle",
      ],
      targetsOf(r, "memory").map((t) => {
        const g = (k, d = 1) => cellOf(metric(r, "memory", t, k), d);
        const c = (k) => metric(r, "memory", t, k)?.median;
        return [
          t,
          g("openMB"),
          g("idleOpenMB"),
          g("closedMB"),
          g("warmPokeMs"),
          g("idlePokeMs"),
          c("constructedWarm") === undefined
            ? "–"
            : `${fmt(c("constructedWarm"))} → ${fmt(c("constructedAfterIdle"))}`,
        ];
      }),
    ),
  );
  out.push(`\n### Targets (issue 7)\n`);
  const ratios = computeRatios(r);
  // The same ratio for the runtime's own relays: what any code on this runtime can reach.
  const baseline = (x, t) =>
    x.scenario.startsWith("fanout")
      ? fmt(ratio(metric(r, x.scenario, t, x.key), metric(r, x.scenario, x.peer, x.key)), 2)
      : "";
  const rows = ratios
    .filter((x) => x.target)
    .map((x) => [
      `${LABELS[x.scenario]}: edgesync ÷ ${x.peer}`,
      x.target.min !== undefined ? `≥ ${x.target.min}` : `≤ ${x.target.max}`,
      fmt(x.value, 2),
      x.met === null ? "–" : x.met ? "met" : "**missed**",
      baseline(x, "bare-relay"),
      baseline(x, "bare-store-relay"),
    ]);
  const lost = r.scenarios.durability?.[ES]?.samples ?? [];
  rows.push([
    "durability: received-then-lost updates (edgesync)",
    "0",
    lost.map((x) => x.lost).join(", ") || "–",
    lost.length === 0 ? "–" : lost.every((x) => x.lost === 0) ? "met" : "**missed**",
    "",
    "",
  ]);
  out.push(
    "For fan-out, the last two columns give the same ratio for the bare relays instead of edgesync: a hibernating " +
      "Durable Object that only relays each frame (or stores it in SQLite, then relays it) on the same workerd — the most " +
      "any code on this runtime can reach here.\n",
  );
  out.push(
    table(["target", "wanted", "measured", "", "bare-relay ÷ it", "bare-store-relay ÷ it"], rows),
  );
  const errors = Object.entries(r.scenarios).flatMap(([s, cells]) =>
    Object.entries(cells)
      .filter(([, c]) => c.errors)
      .map(([t, c]) => `- ${s} / ${t}: ${c.errors[0].split("\n")[0]}`),
  );
  const restarts = Object.entries(r.scenarios).flatMap(([s, cells]) =>
    Object.entries(cells)
      .filter(([, c]) => c.restarts)
      .map(
        ([t, c]) =>
          `- ${s} / ${t}: server found dead (killed or crashed between samples) and restarted ${c.restarts}× before a sample`,
      ),
  );
  if (errors.length || restarts.length)
    out.push(`\nIncidents:\n${[...errors, ...restarts].join("\n")}`);
  return out.join("\n");
}

/** A horizontal bar chart, log scale, of edgesync ÷ peer for each ratio; green where edgesync is better. */
export function svg(r) {
  const rows = computeRatios(r).filter((x) => x.value !== null);
  const W = 860,
    rowH = 24,
    top = 56,
    left = 300,
    plotW = 500;
  const H = top + rows.length * rowH + 40;
  const lo = Math.log10(0.01),
    hi = Math.log10(100);
  const x = (v) => left + ((Math.log10(Math.min(100, Math.max(0.01, v))) - lo) / (hi - lo)) * plotW;
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">edgesync ÷ peer (medians, ${r.date.slice(0, 10)}, ${r.machine.cores} cores)</text>`,
    `<text x="10" y="38" fill="#555">log scale; green = edgesync better (throughput: higher; latency, load time, memory: lower); | = target</text>`,
  ];
  for (const tick of [0.01, 0.1, 0.5, 1, 2, 10, 100]) {
    parts.push(
      `<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${H - 34}" stroke="${tick === 1 ? "#000" : "#ddd"}"/>`,
      `<text x="${x(tick)}" y="${H - 20}" text-anchor="middle" fill="#555">${tick}×</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const x0 = x(1),
      x1 = x(row.value);
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(`${LABELS[row.scenario]} ÷ ${row.peer}`)}</text>`,
      `<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 8}" fill="${row.better ? "#2e9e5b" : "#d0473f"}"/>`,
      `<text x="${Math.max(x0, x1) + 4}" y="${y + 15}" fill="#222">${row.value.toFixed(2)}×</text>`,
    );
    if (row.target) {
      const t = row.target.min ?? row.target.max;
      parts.push(
        `<line x1="${x(t)}" y1="${y + 1}" x2="${x(t)}" y2="${y + rowH - 1}" stroke="#1f4fbf" stroke-width="3"/>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Writes results/<date>.svg and replaces the results section of bench/README.md. */
export function writeReport(r, jsonPath) {
  const svgPath = jsonPath.replace(/\.json$/, ".svg");
  writeFileSync(join(BENCH, svgPath), `${svg(r)}\n`);
  const readmePath = join(BENCH, "README.md");
  const readme = existsSync(readmePath)
    ? readFileSync(readmePath, "utf8")
    : `# Benchmarks\n\n${START}\n${END}\n`;
  const [head, rest] = readme.split(START);
  const tail = rest?.split(END)[1] ?? "\n";
  writeFileSync(readmePath, `${head}${START}\n${markdown(r, jsonPath, svgPath)}\n${END}${tail}`);
}

// `node report.mjs results/<date>.json` re-renders a saved run.
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rel = process.argv[2];
  writeReport(JSON.parse(readFileSync(join(BENCH, rel), "utf8")), rel);
}
