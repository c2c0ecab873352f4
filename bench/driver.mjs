// `npm run bench`: starts each server, runs every scenario against it (repeated), stops it, and
// writes bench/results/<date>.json, the README table and the ratio chart (see report.mjs).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem, release } from "node:os";
import { join } from "node:path";
import { BENCH, ROOT, sourceSnapshot, startServer, TARGETS } from "./lib/servers.mjs";
import { prepareFrames } from "./lib/frames.mjs";
import { summarize } from "./lib/stats.mjs";
import {
  coldLoad,
  DEFAULTS,
  durability,
  fairness,
  fanOut,
  keystrokeReplay,
  memoryIdle,
  MUX_OPEN_ROWS,
  muxOpen,
} from "./scenarios.mjs";
import { writeReport } from "./report.mjs";

/** Repeats of every measurement (median and spread are reported). */
const DEFAULT_REPEATS = 3;
/** Which targets each scenario covers (the bare baseline has no sync or storage to load; its relays carry providers in fan-out). */
const COVERAGE = {
  replay: [
    "edgesync",
    "bare-recv",
    "bare-relay",
    "bare-store-relay",
    "y-partyserver",
    "y-partyserver-hib",
    "reference",
    "hocuspocus",
  ],
  fanout: [
    "edgesync",
    "bare-relay",
    "bare-store-relay",
    "y-partyserver",
    "y-partyserver-hib",
    "reference",
    "hocuspocus",
  ],
  coldLoad: ["edgesync", "y-partyserver", "hocuspocus"],
  durability: ["edgesync", "y-partyserver", "reference", "hocuspocus"],
  memory: [
    "edgesync",
    "bare-recv",
    "y-partyserver",
    "y-partyserver-hib",
    "reference",
    "hocuspocus",
  ],
  // edgesync only, on a server with its default limits (the others have no per-socket limit to stay under).
  fairness: ["edgesync"],
  // Many documents at once: rows of MUX_OPEN_ROWS, named by their targets.
  muxOpen: [...new Set(MUX_OPEN_ROWS.map((row) => row.target))],
  // Fan-out through edgesync's Hocuspocus relay, next to its /sync and Hocuspocus's own server.
  muxFanout: ["edgesync", "edgesync-hocuspocus", "hocuspocus"],
};
// The variants run with their scenario's targets, and can be named on their own.
COVERAGE.replayBatch = COVERAGE.replay;
COVERAGE.fanoutPlain = COVERAGE.fanout;
const SERVER_ORDER = ["edgesync", "baseline", "y-partyserver", "reference", "hocuspocus"];

function parseArgs(argv) {
  const opts = { repeats: DEFAULT_REPEATS, only: null, scenarios: null, ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=");
    const value = () => inline ?? argv[++i];
    if (flag === "--repeats") opts.repeats = Number(value());
    else if (flag === "--only") opts.only = value().split(",");
    else if (flag === "--scenarios") {
      // "replay" and "fanout" include their variants; a variant can also be named alone.
      opts.scenarios = value().split(",");
      if (opts.scenarios.includes("replay")) opts.scenarios.push("replayBatch");
      if (opts.scenarios.includes("fanout")) opts.scenarios.push("fanoutPlain");
    } else if (flag === "--replay-txns") opts.replayTxns = Number(value());
    else if (flag === "--fanout-seconds") opts.fanoutSeconds = Number(value());
    else if (flag === "--memory-docs") opts.memoryDocs = Number(value());
    else if (flag === "--idle-ms") opts.idleMs = Number(value());
    else if (flag === "--mux-docs") opts.muxDocs = Number(value());
    else throw new Error(`unknown option ${argv[i]} (see bench/README.md)`);
  }
  return opts;
}

/** The server code measured: the working tree when the run starts (see sourceSnapshot). */
function edgesyncSource() {
  const git = (...a) => execFileSync("git", a, { cwd: ROOT }).toString().trim();
  const paths = ["worker", "durable-objects", "protocol"];
  const diff = execFileSync("git", ["diff", "HEAD", "--", ...paths], { cwd: ROOT });
  return {
    commit: git("rev-parse", "--short", "HEAD"),
    uncommitted: git("status", "--porcelain", "--", ...paths)
      .split("\n")
      .filter(Boolean),
    diffSha1: diff.length ? createHash("sha1").update(diff).digest("hex").slice(0, 12) : null,
  };
}

function machine() {
  const version = (pkg) =>
    JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
  // wrangler runs its own nested workerd when it has one; that is the runtime measured.
  const nested = join(
    ROOT,
    "node_modules",
    "wrangler",
    "node_modules",
    "@cloudflare",
    "workerd-linux-64",
  );
  const workerdPkg = existsSync(nested) ? nested : join(ROOT, "node_modules", "workerd");
  let workerdBinary = null;
  try {
    const bin = existsSync(nested)
      ? join(nested, "bin", "workerd")
      : join(ROOT, "node_modules", ".bin", "workerd");
    workerdBinary = execFileSync(bin, ["--version"]).toString().trim();
  } catch {
    // reported as null
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    wrangler: version("wrangler"),
    workerd: JSON.parse(readFileSync(join(workerdPkg, "package.json"), "utf8")).version,
    workerdBinary,
  };
}

const log = (...args) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

async function measure(results, scenario, target, fn, server = null) {
  const cell = ((results[scenario] ??= {})[target] ??= { samples: [] });
  try {
    // On a shared machine something else may kill a server: restart it and say so.
    if (server && (await server.ensureUp())) {
      cell.restarts = (cell.restarts ?? 0) + 1;
      log(scenario, target, "server was down: restarted it");
    }
    // Other work on the machine skews numbers: each sample records the load average before it.
    const load1 = loadavg()[0];
    const sample = await fn();
    const samples = Array.isArray(sample) ? sample : [sample];
    cell.samples.push(...samples.map((s) => ({ ...s, load1 })));
    log(scenario, target, JSON.stringify(sample));
  } catch (err) {
    cell.errors = [...(cell.errors ?? []), String(err.message ?? err).slice(0, 2000)];
    log(scenario, target, "FAILED", err.message);
  }
}

async function withServer(name, fn) {
  const server = await startServer(name);
  try {
    await fn(server);
  } finally {
    await server.dispose();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const source = edgesyncSource();
  sourceSnapshot();
  const wants = (scenario, target) =>
    (!opts.scenarios || opts.scenarios.includes(scenario)) &&
    COVERAGE[scenario].includes(target) &&
    (!opts.only || opts.only.includes(target));
  log("encoding frames");
  prepareFrames(opts.trace, 1, opts.replayTxns);
  prepareFrames(opts.trace, 1, 0);
  prepareFrames(opts.trace, opts.batch, 0);
  const raw = {};
  // All servers run at once (idle ones cost no CPU) and each round visits every target in turn,
  // so slow drifts in the machine's load spread over all targets instead of favouring some.
  const needed = SERVER_ORDER.filter((name) =>
    Object.keys(TARGETS).some(
      (t) =>
        TARGETS[t].server === name &&
        [
          "replay",
          "replayBatch",
          "fanout",
          "fanoutPlain",
          "coldLoad",
          "durability",
          "muxOpen",
          "muxFanout",
        ].some((s) => wants(s, t)),
    ),
  );
  const servers = {};
  try {
    for (const name of needed) {
      log(`starting ${name}`);
      servers[name] = await startServer(name);
    }
    const on = (t) => servers[TARGETS[t].server];
    const targets = (scenario) => Object.keys(TARGETS).filter((t) => wants(scenario, t));
    for (let r = 0; r < opts.repeats; r++) {
      for (const t of targets("replay")) {
        await measure(
          raw,
          "replay",
          t,
          () => keystrokeReplay(on(t), t, { trace: opts.trace, batch: 1, txns: opts.replayTxns }),
          on(t),
        );
      }
      for (const t of targets("replayBatch")) {
        await measure(
          raw,
          "replayBatch",
          t,
          () => keystrokeReplay(on(t), t, { trace: opts.trace, batch: opts.batch, txns: 0 }),
          on(t),
        );
      }
      const fanoutParams = {
        readers: opts.fanoutReaders,
        rate: opts.fanoutRate,
        seconds: opts.fanoutSeconds,
      };
      for (const t of targets("fanout")) {
        await measure(raw, "fanout", t, () => fanOut(on(t), t, fanoutParams), on(t));
      }
      for (const t of targets("fanoutPlain")) {
        await measure(
          raw,
          "fanoutPlain",
          t,
          () => fanOut(on(t), t, { ...fanoutParams, deflate: false }),
          on(t),
        );
      }
      for (const t of targets("muxFanout")) {
        // Without deflate: with it the load process's inflating dominates (README, Caveats).
        const plain = { ...fanoutParams, deflate: false };
        await measure(raw, "muxFanout", t, () => fanOut(on(t), t, plain), on(t));
      }
      for (const row of MUX_OPEN_ROWS.filter((row) => wants("muxOpen", row.target))) {
        const server = on(row.target);
        await measure(raw, "muxOpen", row.name, () => muxOpen(server, row, opts), server);
      }
    }
    for (const t of targets("coldLoad")) {
      await measure(
        raw,
        "coldLoad",
        t,
        () => coldLoad(on(t), t, { ...opts, repeats: opts.repeats }),
        on(t),
      );
    }
    for (let r = 0; r < opts.repeats; r++) {
      for (const t of targets("durability"))
        await measure(raw, "durability", t, () => durability(on(t), t, opts), on(t));
    }
  } finally {
    for (const server of Object.values(servers)) await server.dispose();
  }
  for (let r = 0; r < opts.repeats; r++) {
    for (const t of COVERAGE.memory.filter((t) => wants("memory", t))) {
      await measure(raw, "memory", t, () => {
        let out;
        return withServer(TARGETS[t].server, async (server) => {
          out = await memoryIdle(server, t, {
            trace: opts.trace,
            docs: opts.memoryDocs,
            docTxns: opts.memoryDocTxns,
            idleMs: opts.idleMs,
            settleMs: opts.settleMs,
          });
        }).then(() => out);
      });
    }
  }

  for (let r = 0; r < opts.repeats; r++) {
    if (!wants("fairness", "edgesync")) break;
    await measure(raw, "fairness", "edgesync", () => {
      let out;
      return withServer("edgesync-defaults", async (server) => {
        out = await fairness(server, "edgesync", opts);
      }).then(() => out);
    });
  }

  const results = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { edgesync: source, ...machine() },
    params: opts,
    scenarios: summarizeAll(raw),
  };
  const day = results.date.slice(0, 10);
  mkdirSync(join(BENCH, "results"), { recursive: true });
  const file = join(BENCH, "results", `${day}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeReport(results, `results/${day}.json`);
  log(`done in ${results.durationSeconds} s: ${file}`);
}

/** Adds { median, min, max, spread } per metric to every cell, keeping the raw samples. */
function summarizeAll(raw) {
  const out = {};
  for (const [scenario, cells] of Object.entries(raw)) {
    out[scenario] = {};
    for (const [target, cell] of Object.entries(cells)) {
      const metrics = {};
      const keys = new Set(cell.samples.flatMap((s) => Object.keys(s)));
      for (const key of keys) {
        const values = cell.samples.map((s) => s[key]);
        if (values.some((v) => typeof v === "number")) metrics[key] = summarize(values);
      }
      const verified = cell.samples
        .map((s) => s.verified)
        .filter((v) => v !== undefined && v !== null);
      out[scenario][target] = {
        metrics,
        samples: cell.samples,
        verified: verified.length ? verified.every(Boolean) : null,
        ...(cell.errors ? { errors: cell.errors } : {}),
        ...(cell.restarts ? { restarts: cell.restarts } : {}),
      };
    }
  }
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
