// The /admin inspector in real Chromium at phone width, against the shared server that requires
// tokens: refused without a token and with a read token (each says why), signed in with an admin
// token kept in sessionStorage (never the URL); finds a document by prefix, shows its content
// change while a stock y-websocket client types, compacts it, saves a version and restores it (the
// client converges live), and deletes it. Screenshots are
// written to test-results/admin/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { launchChromium } from "../helpers/chromium";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

const OUT = join(fileURLToPath(new URL("../..", import.meta.url)), "test-results", "admin");
const PHONE = { width: 390, height: 844 };
const WAIT = { timeout: 20_000 };

const server = sharedServer("auth");
let browser: Browser;
beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

async function signIn(page: Page, token: string) {
  await page.fill("#token", token);
  await page.click("#signin-form button[type=submit]");
}

describe("the /admin inspector", () => {
  it("refuses without a token and with a non-admin token, then inspects, compacts and deletes a document", async () => {
    const prefix = `${uniqueDocId("inspect")}/`;
    const docId = `${prefix}notes`;
    const writer = await createToken(TEST_AUTH_SECRET, {
      doc: docId,
      role: "write",
      sub: "typist",
    });
    const admin = await createToken(TEST_AUTH_SECRET, { doc: "*", role: "admin" });
    const reader = await createToken(TEST_AUTH_SECRET, { doc: "*", role: "read" });

    // A stock client writes; a flush puts the document in D1's index, which the list shows.
    const typist = provider(server.wsUrl, docId, new Y.Doc(), { token: writer });
    await whenSynced(typist);
    const text = typist.doc.getText("t");
    text.insert(0, "hello");
    const flush = () =>
      fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}/flush`, {
        method: "POST",
        headers: { Authorization: `Bearer ${admin}` },
      });
    for (let ok = false, deadline = Date.now() + 20_000; !ok;) {
      expect(Date.now()).toBeLessThan(deadline);
      const res = await flush(); // nothing to flush until the typed update reached the server
      ok =
        res.status === 200 &&
        ((await res.json()) as { d1: { flushedSeq: number } }).d1.flushedSeq > 0;
    }

    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.locator("#mode", { hasText: "admin token" }).waitFor(WAIT);

    await signIn(page, "");
    await page.locator("#signin-error", { hasText: "Refused" }).waitFor(WAIT);
    expect(await page.textContent("#signin-error")).toMatch(/a token is required/);
    await shot(page, "1-refused-without-token");

    await signIn(page, reader);
    await page.locator("#signin-error", { hasText: "not an admin token" }).waitFor(WAIT);
    expect(await page.textContent("#signin-error")).toMatch(
      /needs the admin role; the token has read/,
    );
    expect(await page.isVisible("#index")).toBe(false);
    await shot(page, "2-refused-read-token");

    // An admin of some documents only cannot list them all: it is told what the page needs.
    await signIn(page, await createToken(TEST_AUTH_SECRET, { doc: `${prefix}*`, role: "admin" }));
    await page.locator("#signin-error", { hasText: "every document" }).waitFor(WAIT);

    await signIn(page, admin);
    await page.waitForSelector("#index:not([hidden])", WAIT);
    expect(page.url()).toBe(`${server.url}/admin`); // the token is never in the URL
    expect(await page.evaluate(`sessionStorage.getItem("edgesync-admin-token")`)).toBe(admin);

    await page.fill("#prefix", prefix);
    await page.click("#search button");
    const link = page.locator("#docs .doc-link", { hasText: docId });
    await link.waitFor(WAIT);
    expect(await page.locator("#docs .doc-link").count()).toBe(1);
    await shot(page, "3-index-by-prefix");

    await link.click();
    const live = page.locator("#texts pre.text");
    await live.filter({ hasText: /^hello$/ }).waitFor(WAIT);
    // The stock client types; the page polls and shows each state without a reload.
    for (const ch of " world") {
      text.insert(text.length, ch);
      await new Promise((r) => setTimeout(r, 30));
    }
    await live.filter({ hasText: /^hello world$/ }).waitFor(WAIT);
    expect(JSON.parse((await page.textContent("#json"))!)).toEqual({ t: "hello world" });
    await page.locator("#connections td", { hasText: "typist" }).waitFor(WAIT);
    expect(await page.textContent("#counters")).toMatch(/connections now \/ accepted1 \/ 1/);
    expect(
      await page.evaluate("document.documentElement.scrollWidth"),
      "nothing wider than the phone",
    ).toBeLessThanOrEqual(PHONE.width);
    await shot(page, "4-document-live");

    await page.click("#compact");
    await page.locator("#doc-status", { hasText: "Compacted: 0 log rows left" }).waitFor(WAIT);
    await page.locator("#storage td", { hasText: "0 (0 B)" }).waitFor(WAIT);
    await shot(page, "5-compacted");

    // History: save a version, type on, restore it; the stock client converges with no reload.
    await page.fill("#version-name", "greeting");
    await page.click("#save-version button");
    const restore = page.locator("#versions tr", { hasText: "greeting" }).locator("button");
    await restore.waitFor(WAIT);
    text.insert(text.length, " again");
    await live.filter({ hasText: /^hello world again$/ }).waitFor(WAIT);
    page.once("dialog", (dialog) => void dialog.accept());
    await restore.click();
    await page.locator("#doc-status", { hasText: 'Restored to "greeting"' }).waitFor(WAIT);
    await live.filter({ hasText: /^hello world$/ }).waitFor(WAIT);
    await eventually(
      () => text.toString() === "hello world",
      () => `the typist holds ${JSON.stringify(text.toString())}`,
    );
    await shot(page, "5b-restored");

    typist.destroy(); // a stock client would reconnect and write its copy back
    await page.click("#delete");
    await page.fill("#confirm-id", "not the id");
    await page.click("#confirm button[type=submit]");
    await page.locator("#doc-status", { hasText: "exactly" }).waitFor(WAIT);
    await page.fill("#confirm-id", docId);
    await page.click("#confirm button[type=submit]");
    await page.locator("#index-status", { hasText: `Deleted ${docId}` }).waitFor(WAIT);
    await page.locator("#docs li", { hasText: "No documents." }).waitFor(WAIT);
    await shot(page, "6-deleted");
    const gone = await fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    expect(gone.status).toBe(404);
    await context.close();
  }, 90_000);

  it("says what admin means under open access (npm start) and needs no token there", async () => {
    const open = sharedServer("open");
    const context = await browser.newContext({ viewport: PHONE, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${open.url}/admin`);
    await page.waitForSelector("#index:not([hidden])", WAIT);
    expect(await page.textContent("#mode")).toMatch(
      /Open access: this server runs without AUTH_SECRET .* every request is treated as admin of every document/,
    );
    expect(await page.textContent("#who")).toBe("open access (everyone is admin)");
    await context.close();
  });
});
