// The demo page's progress bar for a large document, in real Chromium against the real server
// through a throttled link: a 3 MiB document comes in ~256 KiB parts, the bar rises through them
// (never backwards), is hidden once the whole text is in the editor, and the editor holds exactly
// the server's text. The screenshot mid-load is kept in test-results/ to look at.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { launchChromium } from "../helpers/chromium";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";
import { throttledLink, type ThrottledLink, MBIT_BYTES_PER_SECOND } from "../helpers/throttle";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Incompressible text in the document: ~12 parts of 256 KiB, under the 4 MiB REST update cap. */
const DOC_CHARS = 3 * 1024 * 1024;
/** Written as pastes of this size (each its own struct, so parts can be cut between them). */
const PASTE_CHARS = 192 * 1024;
/** 6 Mbit/s: the document takes ~4 s to arrive, long enough to watch the bar move. */
const LINK_BYTES_PER_SECOND = 6 * MBIT_BYTES_PER_SECOND;
const LINK_LATENCY_MS = 20;
/** Distinct values strictly between 0 and 1 the bar must show while loading. */
const MIN_INTERMEDIATE_VALUES = 5;

// The demo as `npm start` serves it: the shared open server (the global setup built its bundle).
const server = sharedServer("open");
let browser: Browser;
let link: ThrottledLink;
beforeAll(async () => {
  browser = await launchChromium();
  link = await throttledLink(server.port, LINK_BYTES_PER_SECOND, LINK_LATENCY_MS);
});
afterAll(async () => {
  await browser?.close();
  await link?.close();
});

/** One change of the bar, as the page saw it (recorded in the page by a MutationObserver). */
interface BarChange {
  value: number;
  hidden: boolean;
  /** Characters in the editor when the change was observed. */
  editorChars: number;
}

/**
 * Records every change of the bar's attributes (`value` and `hidden` reflect the properties the
 * page sets) in `globalThis.barChanges`, from before the page's script runs, so no step is missed
 * between samples. Each record reads the bar and the editor as they are when it is delivered.
 */
const RECORD_BAR_CHANGES = `
  globalThis.barChanges = [];
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.id !== "sync-progress") continue;
      const editor = document.getElementById("editor");
      globalThis.barChanges.push({
        value: r.target.value,
        hidden: r.target.hidden,
        editorChars: editor ? editor.value.length : 0,
      });
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["value", "hidden"] });
`;

describe("demo page progress bar in Chromium", () => {
  it("rises through a large document's parts, never backwards, and hides once the text is complete", async () => {
    const docId = uniqueDocId("demo-progress");
    // The document, written through REST as one update (the demo edits the Y.Text "text").
    const doc = new Y.Doc();
    const text = randomBytes((DOC_CHARS / 4) * 3).toString("base64");
    for (let at = 0; at < text.length; at += PASTE_CHARS)
      doc.getText("text").insert(at, text.slice(at, at + PASTE_CHARS));
    const res = await fetch(`${server.url}/v1/docs/${docId}/update`, {
      method: "POST",
      body: Y.encodeStateAsUpdate(doc),
    });
    expect(res.status, await res.clone().text()).toBe(200);

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.addInitScript(RECORD_BAR_CHANGES);
    await page.goto(`http://127.0.0.1:${link.port}/?doc=${docId}`);
    // Mid-load: the bar shown part-way (kept to look at).
    await page.waitForFunction(
      `(() => { const bar = document.getElementById("sync-progress"); return !bar.hidden && bar.value > 0.2 && bar.value < 0.8; })()`,
      null,
      { timeout: 30_000 },
    );
    mkdirSync(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results/demo-progress.png") });
    await page.waitForFunction(
      `document.getElementById("editor").value.length === ${text.length}`,
      null,
      { timeout: 30_000 },
    );
    const bar = await page.$eval("#sync-progress", (el) => {
      const { value, hidden } = el as unknown as { value: number; hidden: boolean };
      return { value, hidden };
    });
    const changes = (await page.evaluate("globalThis.barChanges")) as BarChange[];
    const summary = JSON.stringify(changes.map((c) => [+c.value.toFixed(3), c.hidden]));

    // Shown while loading, through many values in between, each at least the one before.
    const values = changes.map((c) => c.value);
    const intermediate = new Set(values.filter((v) => v > 0 && v < 1));
    console.log(`progress bar over ${link.bytesDown.reduce((a, b) => a + b, 0)} bytes: ${summary}`);
    expect(intermediate.size, summary).toBeGreaterThanOrEqual(MIN_INTERMEDIATE_VALUES);
    for (let i = 1; i < values.length; i++)
      expect(values[i], summary).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(
      changes.some((c) => !c.hidden && c.value > 0 && c.value < 1),
      summary,
    ).toBe(true);
    // At the end: full and hidden, with the whole text in the editor by the time it was hidden.
    expect(bar).toEqual({ value: 1, hidden: true });
    const hiddenAt = changes.findIndex((c, i) => i > 0 && c.hidden && !changes[i - 1]!.hidden);
    expect(hiddenAt, summary).toBeGreaterThan(0);
    expect(
      changes.slice(hiddenAt).every((c) => c.hidden && c.value === 1),
      summary,
    ).toBe(true);
    expect(changes[hiddenAt]!.editorChars).toBe(text.length);
    // While loading, the editor filled part by part (the parts apply on their own).
    expect(
      changes.some((c) => c.editorChars > 0 && c.editorChars < text.length),
      summary,
    ).toBe(true);

    // The editor holds exactly the server's text (compared whole: a 3 MiB diff helps nobody).
    const editorText = await page.$eval(
      "#editor",
      (el) => (el as unknown as { value: string }).value,
    );
    const json = (await (await fetch(`${server.url}/v1/docs/${docId}/json`)).json()) as {
      text: string;
    };
    expect(editorText === json.text && editorText === text).toBe(true);
    expect(await page.$eval("#status", (e) => e.getAttribute("data-status"))).toBe("connected");
    expect(errors).toEqual([]);
    await context.close();
  });
});
