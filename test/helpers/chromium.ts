// Real Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser), and the demo bundle that `npm start` builds before serving the page.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { startServer, type RunningServer } from "./server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Builds public/build/demo.js as `npm start` does first (test servers are started without npm). */
function buildDemo(): void {
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--demo"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`demo build failed: ${build.stderr}`);
}

/** The demo served as `npm start` serves it, and a browser to open it in. */
export async function startDemo(): Promise<{ server: RunningServer; browser: Browser }> {
  buildDemo();
  const [server, browser] = await Promise.all([startServer(), launchChromium()]);
  return { server, browser };
}

export async function stopDemo(demo: { server?: RunningServer; browser?: Browser }): Promise<void> {
  await demo.browser?.close();
  await demo.server?.dispose();
}
