// The benchmarked servers: how each starts (own process group, own state directory), how it is
// reached, and stop / SIGKILL / restart. Every server started here is killed when the driver exits.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BENCH = join(ROOT, "bench");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const HOST = "127.0.0.1";
/** How long a server may take to answer HTTP after start (wrangler bundles and boots workerd). */
const START_TIMEOUT_MS = 90_000;
/** How long a graceful stop may take before the group is SIGKILLed. */
const STOP_TIMEOUT_MS = 5_000;
/** Poll interval while waiting for a server to come up or go away. */
const POLL_MS = 150;
/** edgesync's per-socket rate limit, raised so one socket may replay a whole trace (see README). */
export const EDGESYNC_RATE_VARS = [
  "--var",
  "RATE_LIMIT_MESSAGES:1000000000",
  "--var",
  "RATE_LIMIT_BYTES:100000000000",
  "--var",
  "DOC_RATE_LIMIT_MESSAGES:1000000000",
  // More settings for a comparison run, e.g. EDGESYNC_VARS=HISTORY_RETENTION_DAYS:0 (history off).
  ...(process.env.EDGESYNC_VARS ?? "")
    .split(",")
    .filter(Boolean)
    .flatMap((v) => ["--var", v]),
];

/** Top-level entries not copied into the source snapshot (node_modules is linked instead). */
const SNAPSHOT_SKIP = new Set([
  "node_modules",
  ".git",
  ".wrangler",
  "bench",
  "test",
  "test-results",
]);
let snapshot = null;
/**
 * A copy of the repository as it is when first asked for, which edgesync runs from: wrangler dev
 * reloads on every source change, so edits made in the tree during a run cannot change the code
 * measured half-way. Removed when the driver exits.
 */
export function sourceSnapshot() {
  if (snapshot) return snapshot;
  snapshot = mkdtempSync(join(tmpdir(), "edgesync-bench-src-"));
  for (const entry of readdirSync(ROOT)) {
    if (!SNAPSHOT_SKIP.has(entry))
      cpSync(join(ROOT, entry), join(snapshot, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(snapshot, "node_modules"));
  return snapshot;
}

const wranglerDev = (config) => (port, dir) => [
  WRANGLER,
  [
    "dev",
    "-c",
    config,
    "--port",
    String(port),
    "--ip",
    HOST,
    "--persist-to",
    dir,
    "--log-level",
    "warn",
  ],
];

/** Server processes. `serving` names the process whose memory is the server's. */
export const SERVERS = {
  edgesync: {
    serving: "workerd",
    cwd: () => sourceSnapshot(),
    // Exactly `npm start -- …` (D1 migrations, then wrangler dev), in the source snapshot.
    command: (port, dir) => [
      join(sourceSnapshot(), "scripts", "start.mjs"),
      [
        "--port",
        String(port),
        "--ip",
        HOST,
        "--persist-to",
        dir,
        "--log-level",
        "warn",
        ...EDGESYNC_RATE_VARS,
      ],
    ],
  },
  // The same with the default limits (per-socket and per-document rates), for the fairness scenario.
  "edgesync-defaults": {
    serving: "workerd",
    cwd: () => sourceSnapshot(),
    command: (port, dir) => [
      join(sourceSnapshot(), "scripts", "start.mjs"),
      ["--port", String(port), "--ip", HOST, "--persist-to", dir, "--log-level", "warn"],
    ],
  },
  baseline: {
    serving: "workerd",
    command: wranglerDev(join(BENCH, "servers", "baseline", "wrangler.toml")),
  },
  "y-partyserver": {
    serving: "workerd",
    command: wranglerDev(join(BENCH, "servers", "y-partyserver", "wrangler.toml")),
  },
  reference: {
    serving: "node",
    command: () => [join(BENCH, "node_modules", "@y", "websocket-server", "src", "server.js"), []],
  },
  hocuspocus: {
    serving: "node",
    command: (_port, dir) => [
      join(BENCH, "servers", "hocuspocus.mjs"),
      [],
      { DB_PATH: join(dir, "hocuspocus.sqlite") },
    ],
  },
};

/**
 * What the scenarios drive: a server plus how to address a document on it. `protocol` is the
 * framing ("y-websocket" or "hocuspocus"); `endProbe` is "marker" (a reader sees the final update)
 * or "echo" (receive-only: the sender's text probe comes back after every frame was handled).
 */
export const TARGETS = {
  edgesync: {
    server: "edgesync",
    protocol: "y-websocket",
    persistent: true,
    endProbe: "marker",
    socketUrl: (base, doc) => `${base}/sync/${doc}`,
    provider: (base) => ({ kind: "y-websocket", url: `${base}/sync` }),
  },
  "bare-recv": {
    server: "baseline",
    protocol: "raw",
    persistent: false,
    endProbe: "echo",
    socketUrl: (base, doc) => `${base}/ws/${doc}?mode=recv`,
  },
  // In fan-out the relays carry real providers' frames: they answer each provider's sync step 1
  // with an empty step 2 themselves (see servers/baseline) and relay everything else, so the
  // writer's updates reach every reader unchanged.
  "bare-relay": {
    server: "baseline",
    protocol: "raw",
    persistent: false,
    endProbe: "marker",
    socketUrl: (base, doc) => `${base}/ws/${doc}?mode=relay`,
    provider: (base) => ({ kind: "y-websocket", url: `${base}/ws`, params: { mode: "relay" } }),
  },
  "bare-store-relay": {
    server: "baseline",
    protocol: "raw",
    persistent: true,
    endProbe: "marker",
    socketUrl: (base, doc) => `${base}/ws/${doc}?mode=store-relay`,
    provider: (base) => ({
      kind: "y-websocket",
      url: `${base}/ws`,
      params: { mode: "store-relay" },
    }),
  },
  "y-partyserver": {
    server: "y-partyserver",
    protocol: "y-websocket",
    persistent: true,
    endProbe: "marker",
    socketUrl: (base, doc) => `${base}/parties/y-doc-server/${doc}`,
    provider: (base) => ({ kind: "y-websocket", url: `${base}/parties/y-doc-server` }),
  },
  "y-partyserver-hib": {
    server: "y-partyserver",
    protocol: "y-websocket",
    persistent: true,
    endProbe: "marker",
    socketUrl: (base, doc) => `${base}/parties/y-doc-server-hibernating/${doc}`,
    provider: (base) => ({ kind: "y-websocket", url: `${base}/parties/y-doc-server-hibernating` }),
  },
  reference: {
    server: "reference",
    protocol: "y-websocket",
    persistent: false,
    endProbe: "marker",
    socketUrl: (base, doc) => `${base}/${doc}`,
    provider: (base) => ({ kind: "y-websocket", url: base }),
  },
  // edgesync's Hocuspocus endpoint (the Worker relays each document to its object), for the
  // multiplexed scenarios; the bench server runs with open access, so any token is accepted.
  "edgesync-hocuspocus": {
    server: "edgesync",
    protocol: "hocuspocus",
    persistent: true,
    endProbe: "marker",
    socketUrl: (base) => `${base}/hocuspocus`,
    provider: (base) => ({ kind: "hocuspocus", url: `${base}/hocuspocus` }),
  },
  hocuspocus: {
    server: "hocuspocus",
    protocol: "hocuspocus",
    persistent: true,
    endProbe: "marker",
    socketUrl: (base) => base,
    provider: (base) => ({ kind: "hocuspocus", url: base }),
  },
};

const running = new Set();
function killAll() {
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function answers(port) {
  try {
    const res = await fetch(`http://${HOST}:${port}/health`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Starts a server by name on a fresh port and state directory; returns a handle. */
export async function startServer(name, extraArgs = []) {
  const def = SERVERS[name];
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `edgesync-bench-${name}-`));
  let child = null;
  let output = "";

  const launch = async () => {
    const [script, args, extraEnv] = def.command(port, dir);
    child = spawn(process.execPath, [script, ...args, ...extraArgs], {
      cwd: def.cwd?.() ?? ROOT,
      detached: true, // own process group: stop/kill reach wrangler's workerd too
      // X_LOCAL_OBSERVABILITY: wrangler dev's local trace store writes every invocation to SQLite
      // on the Worker's thread; `npm start` turns it off, and so does every workerd peer here.
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        X_LOCAL_OBSERVABILITY: "false",
        CI: "true",
        NO_COLOR: "1",
        HOST,
        PORT: String(port),
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    const proc = child;
    proc.on("exit", () => running.delete(proc));
    const keep = (d) => (output = (output + d.toString()).slice(-20_000));
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await answers(port))) {
      if (proc.exitCode !== null)
        throw new Error(`${name} exited with ${proc.exitCode}:\n${output}`);
      if (Date.now() > deadline)
        throw new Error(`${name} did not start in ${START_TIMEOUT_MS} ms:\n${output}`);
      await sleep(POLL_MS);
    }
  };

  const signal = async (sig) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    try {
      process.kill(-proc.pid, sig);
    } catch {
      return;
    }
    const timedOut = await Promise.race([
      exited.then(() => false),
      sleep(STOP_TIMEOUT_MS).then(() => true),
    ]);
    if (timedOut) {
      process.kill(-proc.pid, "SIGKILL");
      await exited;
    }
    // workerd is a grandchild: wait until nothing answers on the port any more.
    for (let i = 0; i < STOP_TIMEOUT_MS / POLL_MS && (await answers(port)); i++)
      await sleep(POLL_MS);
  };

  await launch();
  return {
    name,
    port,
    dir,
    base: `ws://${HOST}:${port}`,
    output: () => output,
    /** Resident memory of the serving process (workerd, or the Node server), in bytes. */
    rss: () => rssOf(servingPid(child.pid, def.serving)),
    /** The process group leader (the Node process the driver spawned). */
    rootPid: () => child.pid,
    /** The serving process's id (workerd, or the Node server). */
    servingPid: () => servingPid(child.pid, def.serving),
    kill: () => signal("SIGKILL"),
    /** Restarts the server if it no longer answers (something else killed it); true if it did. */
    ensureUp: async () => {
      if (await answers(port)) return false;
      await signal("SIGKILL");
      await launch();
      return true;
    },
    restart: async () => {
      await signal("SIGKILL");
      await launch();
    },
    dispose: async () => {
      await signal("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function procInfo(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return { pid, comm, ppid };
  } catch {
    return null;
  }
}

/** The process ids under `rootPid` (inclusive), with their command names. */
export function processTree(rootPid) {
  const all = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procInfo(Number(d)))
    .filter(Boolean);
  const tree = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) if (!tree.has(p.pid) && tree.has(p.ppid)) (tree.add(p.pid), (grew = true));
  }
  return all.filter((p) => tree.has(p.pid));
}

/**
 * The process that runs the server's code. wrangler dev starts two workerd processes: a proxy on
 * the public port and the runtime (the one with an inspector) that hosts the Worker and its DOs.
 */
function servingPid(rootPid, comm) {
  if (comm === "node") return rootPid;
  const workerds = processTree(rootPid).filter((p) => p.comm.startsWith("workerd"));
  const runtime = workerds.find((p) =>
    readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("--inspector-addr"),
  );
  const pid = (runtime ?? workerds[workerds.length - 1])?.pid;
  if (pid === undefined) throw new Error(`no workerd process under ${rootPid}`);
  return pid;
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}
