// The demo page in real Chromium against a server that requires tokens: with a refused token
// it says why it cannot connect (the SDK's `token` error in the status pill) instead of
// flickering between connecting and connected.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Debian's Chromium; browsers are never downloaded. */
const CHROMIUM = "/usr/bin/chromium";
/** How long the page may take to load and be refused. */
const REFUSAL_TIMEOUT_MS = 30_000;

let server: RunningServer;
let browser: Browser;
beforeAll(async () => {
  // `npm start` builds the page's bundle first; the test server is started without npm.
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--demo"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(build.status, build.stderr).toBe(0);
  [server, browser] = await Promise.all([
    startServer({ vars: { AUTH_SECRET: TEST_AUTH_SECRET } }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu"],
    }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe("demo page with a refused token", () => {
  for (const [what, query] of [
    ["an invalid token", "&token=not-a-jwt"],
    ["no token", ""],
  ]) {
    it(`says why it cannot connect with ${what}`, async () => {
      const page = await browser.newPage();
      await page.goto(`${server.url}/?doc=${uniqueDocId("demo-token")}${query}`);
      const status = page.locator("#status");
      await status.filter({ hasText: "token" }).waitFor({ timeout: REFUSAL_TIMEOUT_MS });
      expect(await status.textContent()).toMatch(
        /^disconnected — token: server refused the token: \w+/,
      );
      expect(await status.getAttribute("data-status")).toBe("disconnected");
      await page.close();
    });
  }
});
