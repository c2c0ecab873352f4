// `node bench/profile.mjs <target> [--txns N] [--strace] [--fanout [--plain]]`: one keystroke replay (or
// the fan-out scenario, per-message figures then per writer update) against one target,
// with CPU time per process, a V8 CPU profile of the workerd isolate, and optionally syscall counts.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { devtools } from "./lib/cdp.mjs";
import {
  BENCH,
  freePort,
  processTree,
  ROOT,
  sourceSnapshot,
  startServer,
  TARGETS,
} from "./lib/servers.mjs";
import { fanOut, keystrokeReplay } from "./scenarios.mjs";

/** Transactions replayed (one per message) while profiling. */
const DEFAULT_TXNS = 20_000;
/** V8 sampling interval in microseconds. */
const SAMPLING_INTERVAL_US = 200;
/** Functions listed by self time. */
const TOP_FUNCTIONS = 15;
/** Clock ticks per second in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

const args = process.argv.slice(2);
const targetName = args[0];
const txns = args.includes("--txns") ? Number(args[args.indexOf("--txns") + 1]) : DEFAULT_TXNS;
const withStrace = args.includes("--strace");
/** Profile the fan-out scenario (1 writer at 100 updates/s for 10 s, 50 readers) instead. */
const fanout = args.includes("--fanout");
const target = TARGETS[targetName];
if (!target)
  throw new Error(
    `usage: node bench/profile.mjs <${Object.keys(TARGETS).join("|")}> [--txns N] [--strace]`,
  );
const workerd = target.server !== "reference" && target.server !== "hocuspocus";

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}

/**
 * Functions whose inclusive time is reported (the edgesync hot path and its Yjs calls). Names
 * that match nothing print nothing, so check them against `git grep` when the code changes.
 */
const INCLUSIVE = [
  "webSocketMessage",
  "decodeClientMessage",
  "validateUpdate",
  "scanUpdate",
  "decodeUpdate",
  "applyUpdate",
  "applyUpdateV2",
  "onDocUpdate",
  "append",
  "encodeSyncUpdate",
  "send",
  "scheduleAlarm",
  "(garbage collector)",
];

/** Milliseconds of samples that have each INCLUSIVE function on their stack (counted once per sample). */
function inclusiveTimes(profile, nameOf) {
  const interval =
    (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const names = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id))
      names.add(nameOf(byId.get(id).callFrame));
    for (const name of names)
      if (INCLUSIVE.includes(name)) hits.set(name, (hits.get(name) ?? 0) + n.hitCount * interval);
  }
  return INCLUSIVE.filter((n) => hits.has(n)).map((n) => [n, hits.get(n)]);
}

/** Self time per source module of the bundle (esbuild marks each module with a `// path` line). */
function moduleTimes(profile, bundle) {
  if (!bundle) return [];
  const lines = bundle.split("\n");
  const moduleAt = [];
  let current = "(bundle)";
  for (const line of lines) {
    if (/^\/\/ [\w@./-]+\.(m?js|ts)$/.test(line))
      current = line
        .slice(3)
        .replace(/^node_modules\//, "")
        .replace(/\/dist\/.*|\/src\/.*/, "");
    moduleAt.push(current);
  }
  const interval =
    (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byModule = new Map();
  for (const n of profile.nodes) {
    const { url, lineNumber, functionName } = n.callFrame;
    const key =
      url && lineNumber >= 0 ? (moduleAt[lineNumber] ?? "(bundle)") : functionName || "(native)";
    byModule.set(key, (byModule.get(key) ?? 0) + n.hitCount * interval);
  }
  return [...byModule.entries()].sort((a, b) => b[1] - a[1]);
}

/** The bundle wrangler built for this server: the newest dev build that has the profiled code. */
function findBundle(profile, since) {
  const dirs = [
    ROOT,
    sourceSnapshot(),
    join(BENCH, "servers", "baseline"),
    join(BENCH, "servers", "y-partyserver"),
  ]
    .map((d) => join(d, ".wrangler", "tmp"))
    .filter((d) => existsSync(d));
  const probe = profile.nodes.find(
    (n) => n.callFrame.functionName === "webSocketMessage" && n.callFrame.url,
  );
  if (!probe) return null;
  const builds = dirs
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((d) => d.startsWith("dev-"))
        .map((d) => join(dir, d, "index.js")),
    )
    .filter((f) => existsSync(f) && statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of builds) {
    const text = readFileSync(file, "utf8");
    if (text.split("\n")[probe.callFrame.lineNumber]?.includes("webSocketMessage")) return text;
  }
  return null;
}

/** Names anonymous bundle functions after the binding on their line (`var mergeUpdates = (…) =>`). */
function namer(bundle) {
  const lines = bundle?.split("\n") ?? [];
  return ({ functionName, lineNumber }) => {
    if (functionName) return functionName;
    const m = /(?:var|const|let)\s+([\w$]+)\s*=|^\s*([\w$]+)\s*[:(]/.exec(lines[lineNumber] ?? "");
    return m ? (m[1] ?? m[2]) : "(anonymous)";
  };
}

function selfTimes(profile, nameOf) {
  const interval =
    (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byFn = new Map();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split("/").slice(-1)[0];
    const key = `${nameOf(node.callFrame)} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + node.hitCount * interval);
  }
  return [...byFn.entries()].sort((a, b) => b[1] - a[1]);
}

const startedAt = Date.now() - 1000;
const inspectorPort = workerd ? await freePort() : null;
const server = await startServer(
  target.server,
  workerd ? ["--inspector-port", String(inspectorPort)] : [],
);
try {
  const serving = server.servingPid();
  const all = processTree(server.rootPid());
  const before = new Map(all.map((p) => [p.pid, cpuMs(p.pid)]));
  const tracer = withStrace
    ? spawn(
        "strace",
        [
          "-c",
          "-f",
          "-p",
          String(serving),
          "-o",
          join(BENCH, "results", "tmp", `strace-${targetName}.txt`),
        ],
        { stdio: "ignore" },
      )
    : null;
  const cdp = workerd ? await devtools(inspectorPort) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
    await cdp.send("Profiler.start");
  }
  const wall0 = Date.now();
  const result = fanout
    ? {
        ...(await fanOut(server, targetName, {
          readers: 50,
          rate: 100,
          seconds: 10,
          deflate: !args.includes("--plain"),
        })),
        rate: 100,
        messages: 1000,
      }
    : await keystrokeReplay(server, targetName, { trace: "automerge-paper", batch: 1, txns });
  const wallMs = Date.now() - wall0;
  if (fanout)
    console.log(
      `fan-out latency ms: p50 ${result.p50.toFixed(1)}, p99 ${result.p99.toFixed(1)}, max ${result.max.toFixed(1)}`,
    );
  const profile = cdp ? (await cdp.send("Profiler.stop")).profile : null;
  cdp?.close();
  if (tracer) (tracer.kill("SIGINT"), await new Promise((r) => tracer.on("exit", r)));
  console.log(
    `${targetName}: ${result.messages} messages, ${result.rate.toFixed(0)}/s, wall ${wallMs} ms (incl. load process start)`,
  );
  if (result.batches) {
    const { count, frames, largest } = result.batches;
    console.log(
      `  batches: ${count} for ${frames} frames (mean ${(frames / Math.max(1, count)).toFixed(1)}, largest ${largest})`,
    );
  }
  for (const p of all) {
    const used = cpuMs(p.pid) - (before.get(p.pid) ?? 0);
    const role = p.pid === serving ? "serving" : p.comm;
    console.log(
      `  cpu ${role.padEnd(10)} pid ${p.pid}: ${used.toFixed(0)} ms = ${((used * 1000) / result.messages).toFixed(0)} µs/message`,
    );
  }
  if (profile) {
    const bundle = findBundle(profile, startedAt);
    const nameOf = namer(bundle);
    const top = selfTimes(profile, nameOf);
    const total = top.reduce((n, [, ms]) => n + ms, 0);
    const out = join(BENCH, "results", "tmp", `profile-${targetName}.cpuprofile`);
    writeFileSync(out, JSON.stringify(profile));
    console.log(`  V8 profile of the isolate (${out}), self time, ${total.toFixed(0)} ms sampled:`);
    const perMsg = (ms) => `${((ms * 1000) / result.messages).toFixed(1).padStart(6)} µs/msg`;
    console.log("  by module (self time):");
    for (const [name, ms] of moduleTimes(profile, bundle).slice(0, 12)) {
      console.log(
        `    ${ms.toFixed(0).padStart(7)} ms ${((ms * 100) / total).toFixed(1).padStart(5)}%  ${perMsg(ms)}  ${name}`,
      );
    }
    console.log("  inclusive (samples with the function on the stack):");
    for (const [name, ms] of inclusiveTimes(profile, nameOf)) {
      console.log(
        `    ${ms.toFixed(0).padStart(7)} ms ${((ms * 100) / total).toFixed(1).padStart(5)}%  ${perMsg(ms)}  ${name}`,
      );
    }
    console.log("  top functions (self time):");
    for (const [name, ms] of top.slice(0, TOP_FUNCTIONS)) {
      console.log(
        `    ${ms.toFixed(0).padStart(7)} ms ${((ms * 100) / total).toFixed(1).padStart(5)}%  ${((ms * 1000) / result.messages).toFixed(1).padStart(6)} µs/msg  ${name}`,
      );
    }
  }
  if (withStrace)
    console.log(
      readFileSync(join(BENCH, "results", "tmp", `strace-${targetName}.txt`), "utf8")
        .split("\n")
        .slice(0, 14)
        .join("\n"),
    );
} finally {
  await server.dispose();
}
