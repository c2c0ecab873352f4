// Starts the real server exactly as `npm start` does (scripts/start.mjs → wrangler dev →
// workerd) on a free port with its own state directory, and stops or SIGKILLs it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/**
 * How long a server may take to answer /health after start (wrangler + workerd boot). Alone it
 * takes 3–5 s; at the start of a full run, four files boot servers (and the pack test builds
 * and installs) on 2 cores at once, and one boot took over 60 s.
 */
const START_TIMEOUT_MS = 100_000;
/** Starts tried when another process took a port first (see startServer). */
const START_ATTEMPTS = 3;

export interface ServerOptions {
  /** `--var NAME:value` pairs passed to wrangler dev. */
  vars?: Record<string, string>;
  /** State directory (D1 and Durable Object storage); a fresh temp dir by default. */
  persistTo?: string;
  /**
   * The public port: a number is kept through every start and restart; a function picks one
   * (called again when another process took the last one first). From freePort by default.
   */
  port?: number | (() => Promise<number>);
  /**
   * wrangler configs of Workers to run beside the server (each its own `wrangler dev`, from the
   * repository root), whose service bindings to "edgesync" reach it through a dev registry of
   * their own: e.g. examples/agent-writer/wrangler.toml. kill() and restart() take them along.
   */
  companions?: string[];
  /** wrangler's log level: "warn" by default; "log" prints the Worker's console.log lines too. */
  logLevel?: "warn" | "info" | "log";
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  persistTo: string;
  /** Base URLs of the companion Workers, in the order given. */
  companionUrls: string[];
  /** The process group leader (scripts/start.mjs); wrangler and workerd run under it. */
  pid(): number;
  /** Output so far (for failure messages). */
  output(): string;
  /** Resident memory in bytes of the workerd process that runs the Worker and its DOs. */
  runtimeRss(): number;
  /** Graceful stop (SIGTERM to the process group). */
  stop(): Promise<void>;
  /** SIGKILL the whole process group: wrangler and workerd die at once. */
  kill(): Promise<void>;
  /** Starts again on the same port and state directory. */
  restart(): Promise<void>;
  /** Stops and removes the state directory if it was created here. */
  dispose(): Promise<void>;
}

/**
 * Test servers take ports below the kernel's ephemeral range (32768–60999 on Linux), each vitest
 * worker from its own slice. A port picked from the ephemeral range can be handed to another
 * test's connection or server while ours is down between a SIGKILL and its restart on the same
 * port; a port from our own slice is only ever reused by the same worker. Checkouts of the
 * repository on one machine (git worktrees) take different ranges, chosen from their path.
 */
const PORT_BASE = 20_000;
const PORT_SLICE = 50;
const WORKERS = 20;
const CHECKOUTS = 12;
let nextPortOffset = 0;

export async function freePort(): Promise<number> {
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0) % WORKERS;
  const checkout = [...ROOT].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % CHECKOUTS;
  const sliceStart = PORT_BASE + (checkout * WORKERS + worker) * PORT_SLICE;
  for (let tries = 0; tries < PORT_SLICE; tries++) {
    const port = sliceStart + (nextPortOffset++ % PORT_SLICE);
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port in ${sliceStart}–${sliceStart + PORT_SLICE - 1}`);
}

/**
 * A port for a test server outside the per-worker slices above. Those slices are
 * shared by every checkout's test runs on one machine; we saw a /hocuspocus server's sockets
 * answered by another checkout's server on the same port (every upgrade 1006, no frame).
 */
export async function privatePort(): Promise<number> {
  for (;;) {
    const port = PRIVATE_PORTS_FROM + Math.floor(Math.random() * PRIVATE_PORTS);
    if (await canBind(port)) return port;
  }
}
/** First port of the private range (below the shared slices, which start at 20,000). */
const PRIVATE_PORTS_FROM = 15_000;
/** Size of the private range. */
const PRIVATE_PORTS = 5_000;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/**
 * Every server process group this test process started and that still runs. A server whose start
 * outlived its hook's timeout is never disposed by the test: when the worker process exits,
 * whatever is left is killed, so no server outlives its test file.
 */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const proc of running) signalProcessGroup(proc, "SIGKILL");
});

/**
 * Sends `signal` to the process group `proc` leads (spawned with `detached: true`, so wrangler and
 * workerd under it get it too). False when the group is already gone (ESRCH); other errors throw.
 */
export function signalProcessGroup(proc: ChildProcess, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-proc.pid!, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    return false;
  }
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const ownDir = options.persistTo === undefined;
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "edgesync-test-"));
  const pickPort = typeof options.port === "function" ? options.port : freePort;
  let port = typeof options.port === "number" ? options.port : await pickPort();
  let child: ChildProcess | null = null;
  let log = "";
  // A dev registry of this server's own, so companions bind to it and not to another checkout's.
  const registry = join(persistTo, "dev-registry");
  const companionPorts: number[] = [];
  for (const _ of options.companions ?? []) companionPorts.push(await freePort());
  let companions: ChildProcess[] = [];

  const launch = async () => {
    // wrangler binds an inspector port too (9229 unless told, else one it found free): several
    // servers starting at once raced for it, and one lost with "Address already in use" on socket
    // "direct:1:default". Each start takes its own from this worker's slice.
    const inspectorPorts: number[] = [];
    for (let i = 0; i <= companionPorts.length; i++) inspectorPorts.push(await freePort());
    const args = [
      "scripts/start.mjs",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPorts[0]),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      persistTo,
    ];
    for (const [name, value] of Object.entries(options.vars ?? {}))
      args.push("--var", `${name}:${value}`);
    args.push("--log-level", options.logLevel ?? "warn");
    const spawnGroup = (argv: string[]) => {
      const proc = spawn(process.execPath, argv, {
        cwd: ROOT,
        detached: true, // its own process group, so kill() reaches workerd too
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: "false",
          NO_COLOR: "1",
          CI: "true",
          X_LOCAL_OBSERVABILITY: "false", // as scripts/start.mjs sets for the server
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
          ...(options.companions ? { WRANGLER_REGISTRY_PATH: registry } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      running.add(proc);
      proc.once("exit", () => running.delete(proc));
      proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
      proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      return proc;
    };
    // A killed server leaves its entry: companions must not bind to that address.
    rmSync(registry, { recursive: true, force: true });
    child = spawnGroup(args);
    const deadline = Date.now() + START_TIMEOUT_MS;
    const logFrom = log.length;
    await waitUntilUp([port], deadline, logFrom);
    // Companions once the server runs, so they find its entry in the registry at once.
    companions = (options.companions ?? []).map((config, i) =>
      spawnGroup([
        WRANGLER,
        "dev",
        "-c",
        config,
        "--port",
        String(companionPorts[i]),
        "--inspector-port",
        String(inspectorPorts[i + 1]),
        "--ip",
        "127.0.0.1",
        "--persist-to",
        join(persistTo, `companion-${i}`),
        "--log-level",
        "warn",
      ]),
    );
    // A companion answers /health once it runs (the example passes it on to the server).
    await waitUntilUp(companionPorts, deadline, logFrom);
  };

  const waitUntilUp = async (ports: number[], deadline: number, logFrom: number) => {
    const up = async (p: number) => {
      try {
        return (await fetch(`http://127.0.0.1:${p}/health`)).ok;
      } catch {
        return false; // not up yet
      }
    };
    for (;;) {
      if (child!.exitCode !== null)
        throw new Error(`server exited with ${child!.exitCode}:\n${log}`);
      const gone = companions.find((c) => c.exitCode !== null);
      if (gone) throw new Error(`a companion exited with ${gone.exitCode}:\n${log}`);
      // Another process on the port would answer /health for us: trust it only while ours runs
      // and has not failed to bind.
      if (/Address already in use/.test(log.slice(logFrom))) {
        await signalGroup("SIGKILL");
        throw new Error(`server could not bind a port: Address already in use\n${log}`);
      }
      if ((await Promise.all(ports.map(up))).every(Boolean)) return;
      if (Date.now() > deadline) {
        await signalGroup("SIGKILL"); // leave no server behind
        throw new Error(`server did not start in ${START_TIMEOUT_MS} ms:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const signalOne = async (proc: ChildProcess | null, signal: NodeJS.Signals, p: number) => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    if (!signalProcessGroup(proc, signal)) return;
    await exited;
    // Give workerd (a grandchild) a moment to release the port.
    await waitForPortFree(p);
  };
  const signalGroup = async (signal: NodeJS.Signals) => {
    await Promise.all([
      signalOne(child, signal, port),
      ...companions.map((c, i) => signalOne(c, signal, companionPorts[i]!)),
    ]);
  };

  // A port found free can be taken by another test's server before wrangler binds it (several
  // start at once, and wrangler binds more ports of its own): try other ones (launch picks new
  // inspector ports; a port the caller fixed stays).
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      const clash = /Address already in use/.test(String((err as Error).message));
      if (!clash || attempt >= START_ATTEMPTS) throw err;
      if (typeof options.port === "number") await waitForPortFree(port);
      else port = await pickPort();
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/sync`,
    port,
    persistTo,
    companionUrls: companionPorts.map((p) => `http://127.0.0.1:${p}`),
    pid: () => (child as ChildProcess | null)!.pid!,
    output: () => log,
    runtimeRss: () => {
      if (!child?.pid) throw new Error("server is not running");
      return runtimeRss(child.pid);
    },
    stop: () => signalGroup("SIGTERM"),
    kill: () => signalGroup("SIGKILL"),
    restart: async () => {
      await signalGroup("SIGKILL");
      // The port stays (clients reconnect to it); a bind that still loses it waits and tries again.
      for (let attempt = 1; ; attempt++) {
        try {
          await launch();
          return;
        } catch (err) {
          if (
            !/Address already in use/.test(String((err as Error).message)) ||
            attempt >= START_ATTEMPTS
          )
            throw err;
          await waitForPortFree(port);
        }
      }
    },
    dispose: async () => {
      await signalGroup("SIGKILL");
      if (ownDir) rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

/**
 * wrangler dev starts two workerd processes under its Node process: a proxy on the public port
 * and the runtime (started with an inspector) that hosts the Worker and its Durable Objects.
 */
function runtimeRss(rootPid: number): number {
  const parentOf = (pid: string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  };
  const tree = new Set([rootPid]);
  const pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  for (let grew = true; grew;) {
    grew = false;
    for (const pid of pids) {
      try {
        if (!tree.has(Number(pid)) && tree.has(parentOf(pid)))
          grew = tree.add(Number(pid)).size > 0;
      } catch {
        // exited meanwhile
      }
    }
  }
  const runtime = [...tree].find((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmd.includes("workerd") && cmd.includes("--inspector-addr");
    } catch {
      return false;
    }
  });
  if (runtime === undefined) throw new Error(`no workerd runtime under ${rootPid}`);
  return (
    Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${runtime}/status`, "utf8"))![1]) * 1024
  );
}

/**
 * Waits until `port` can be bound again: a SIGKILLed workerd may hold its listening socket for a
 * moment, and a loaded machine makes a live server look dead to a short fetch, so only a bind
 * that succeeds says the port is free.
 */
async function waitForPortFree(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await canBind(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends a WebSocket upgrade request and returns the HTTP status and body (101 → empty body). */
export function upgradeRequest(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
