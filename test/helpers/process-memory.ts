// Resident memory of the real server's workerd runtime, read from /proc (Linux), for tests that
// bound what hostile requests can make the server hold.
import { readFileSync, readdirSync } from "node:fs";

/** Every process under `pid`, read from the kernel's per-thread child lists. */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(
        readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8")
          .split(" ")
          .filter(Boolean)
          .map(Number),
      );
    }
  } catch {
    return []; // exited while we looked
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * The workerd process that runs the Worker and its Durable Objects under `rootPid`. wrangler dev
 * starts two: a proxy on the public port and the runtime, the one given an inspector address.
 */
export function workerdRuntimePid(rootPid: number): number {
  const workerds = descendants(rootPid).filter((pid) =>
    readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("workerd"),
  );
  const runtime = workerds.find((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr"),
  );
  const pid = runtime ?? workerds[workerds.length - 1];
  if (pid === undefined) throw new Error(`no workerd process under ${rootPid}`);
  return pid;
}

/** VmRSS of `pid` in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Samples `pid`'s RSS every `intervalMs` until stopped; returns the highest value seen. */
export function sampleRss(pid: number, intervalMs: number): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}
