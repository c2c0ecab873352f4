// Real Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser).
import { chromium, type Browser } from "playwright-core";
import { sharedServer, type SharedServer } from "./shared-servers";

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

/** The demo as `npm start` serves it (the shared open server; its bundle is built by the global
 * setup), and a browser to open it in. */
export async function startDemo(): Promise<{ server: SharedServer; browser: Browser }> {
  return { server: sharedServer("open"), browser: await launchChromium() };
}

export async function stopDemo(demo: { browser?: Browser }): Promise<void> {
  await demo.browser?.close();
}
