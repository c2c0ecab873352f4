// The demo page at phone width (390 px) in real Chromium against the real server: nothing
// overflows the viewport, both pills are on screen, the editor is large and takes typing.
// The screenshot is kept in test-results/ to look at.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/chromium";
import { serverText } from "../helpers/client-server";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** An iPhone 12–15 sized viewport in CSS pixels. */
const PHONE = { width: 390, height: 844 };
/** The editor must keep most of the screen: at least this share of the viewport's width and height. */
const MIN_EDITOR_WIDTH_SHARE = 0.85;
const MIN_EDITOR_HEIGHT_SHARE = 0.4;

// The demo as `npm start` serves it: the shared open server (the global setup built its bundle).
const server = sharedServer("open");
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("demo page at phone width", () => {
  it("fits 390 px: pills visible, a large editor that takes typing", async () => {
    const context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    // A long id, as apps use, must wrap rather than push the pills off screen.
    const docId = uniqueDocId("a-rather-long-document-name-on-a-phone");
    await page.goto(`${server.url}/?doc=${docId}`);
    await page.waitForFunction(
      `document.getElementById("status").dataset.status === "connected"`,
      null,
      { timeout: 30_000 },
    );

    type Box = {
      left: number;
      right: number;
      top: number;
      bottom: number;
      width: number;
      height: number;
    };
    const layout = (await page.evaluate(`(() => {
      const box = (selector) => document.querySelector(selector).getBoundingClientRect().toJSON();
      const selectors = ["h1", "#doc-id", "#status", "#saved", "#editor", "#name"];
      return { scrollWidth: document.documentElement.scrollWidth, boxes: Object.fromEntries(selectors.map((s) => [s, box(s)])) };
    })()`)) as { scrollWidth: number; boxes: Record<string, Box> };
    mkdirSync(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results/demo-390.png"), fullPage: true });

    expect(layout.scrollWidth).toBeLessThanOrEqual(PHONE.width);
    for (const [selector, b] of Object.entries(layout.boxes)) {
      expect({
        selector,
        inside: b.left >= 0 && b.right <= PHONE.width && b.width > 0 && b.height > 0,
      }).toEqual({ selector, inside: true });
    }
    // The pills are on the first screen, not below the fold.
    for (const pill of ["#status", "#saved"])
      expect(layout.boxes[pill]!.bottom).toBeLessThanOrEqual(PHONE.height);
    const editor = layout.boxes["#editor"]!;
    expect(editor.width).toBeGreaterThanOrEqual(PHONE.width * MIN_EDITOR_WIDTH_SHARE);
    expect(editor.height).toBeGreaterThanOrEqual(PHONE.height * MIN_EDITOR_HEIGHT_SHARE);
    expect(editor.top).toBeLessThan(PHONE.height / 2);

    await page.tap("#editor");
    await page.keyboard.type("typed on a phone");
    await page.waitForFunction(`document.getElementById("saved").dataset.saved === "true"`, null, {
      timeout: 30_000,
    });
    expect(await serverText(server.wsUrl, docId, "text")).toBe("typed on a phone");
    await context.close();
  });
});
