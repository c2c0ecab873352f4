// The demo page in real Chromium against a server that requires tokens: with a refused token
// it says why it cannot connect (the SDK's `token` error in the status pill) instead of
// flickering between connecting and connected, disables the editor (edits could not be saved)
// and does not show a green "saved".
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/chromium";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

/** How long the page may take to load and be refused. */
const REFUSAL_TIMEOUT_MS = 30_000;

const server = sharedServer("auth");
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
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
      expect(await page.locator("#editor").isDisabled()).toBe(true);
      const saved = page.locator("#saved");
      expect(await saved.getAttribute("data-saved")).toBe("false");
      expect(await saved.textContent()).toBe("not saving");
      await page.close();
    });
  }
});
