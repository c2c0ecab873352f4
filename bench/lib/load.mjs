// Runs a load generator in its own Node process and talks to it over a line protocol: it prints
// "<kind> <json>" lines (started, closed, result, error); the driver may answer on its stdin.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { BENCH } from "./servers.mjs";

const running = new Set();
// A driver that dies (or is stopped) takes its load generators with it.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Longest one load-generator process may run before it is killed as hung. */
const LOAD_TIMEOUT_MS = 15 * 60_000;

/**
 * Starts `load/<script>.mjs` with `cfg`; `onLine(kind, value, child)` sees every line. Resolves
 * with the value of the "result" line, rejects on "error" or a non-zero exit.
 */
export function runLoad(script, cfg, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(BENCH, "load", `${script}.mjs`), JSON.stringify(cfg)],
      {
        cwd: BENCH,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    running.add(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), LOAD_TIMEOUT_MS);
    let result = null;
    let errors = "";
    let pending = "";
    child.stdout.on("data", (d) => {
      pending += d.toString();
      let nl;
      while ((nl = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const space = line.indexOf(" ");
        if (space < 0) continue;
        const kind = line.slice(0, space);
        let value;
        try {
          value = JSON.parse(line.slice(space + 1));
        } catch {
          continue;
        }
        if (kind === "result") result = value;
        if (kind === "error") errors += value.message;
        Promise.resolve(onLine(kind, value, child)).catch((err) => {
          errors += String(err);
          child.kill("SIGKILL");
        });
      }
    });
    child.stderr.on("data", (d) => (errors = (errors + d.toString()).slice(-4000)));
    child.on("exit", (code) => {
      running.delete(child);
      clearTimeout(timer);
      if (code === 0 && result) resolve(result);
      else reject(new Error(`load/${script} failed (exit ${code}): ${errors.trim()}`));
    });
  });
}

/** Tells a load generator to go on (after a restart, or to close its sockets). */
export function tell(child, line) {
  child.stdin.write(`${line}\n`);
}
