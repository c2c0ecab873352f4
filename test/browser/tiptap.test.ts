// A real Tiptap editor (StarterKit + Collaboration over a stock @hocuspocus/provider, bundled by
// esbuild) in real Chromium: two pages type into one document and converge, every change
// acknowledged; the server is SIGKILLed and restarted where the target can be, and a fresh page
// then finds all of the text. Runs against the targets of the Hocuspocus conformance suite.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/chromium";
import { uniqueDocId } from "../helpers/providers";
import { TARGETS, runs, type RunningTarget } from "../hocuspocus/targets";
import type { MountOptions } from "./tiptap-app";

const APP = fileURLToPath(new URL("./tiptap-app.ts", import.meta.url));
/** The global the bundle exposes `mount` on. */
const BUNDLE_GLOBAL = "tiptapApp";
/** How long a page may take to sync, converge or be acknowledged (servers share 2 CPUs). */
const WAIT_MS = 30_000;
/** The whole test, restart included, when the machine runs the rest of the suite beside it. */
const TEST_TIMEOUT_MS = 240_000;

const HTML = `<!doctype html><meta charset="utf-8"><div id="editor"></div>
<script src="/app.js"></script>`;

let browser: Browser;
/** Serves the page from 127.0.0.1: Chromium lets only a local page open sockets to loopback. */
let pages: Server;
let pageOrigin: string;
beforeAll(async () => {
  const built = await build({
    entryPoints: [APP],
    bundle: true,
    write: false,
    format: "iife",
    globalName: BUNDLE_GLOBAL,
    platform: "browser",
    target: "es2022",
    minify: true,
    logLevel: "warning",
  });
  const bundle = built.outputFiles[0]!.text;
  pages = createServer((req, res) => {
    const script = req.url === "/app.js";
    res.writeHead(200, { "content-type": script ? "text/javascript" : "text/html" });
    res.end(script ? bundle : HTML);
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  pages?.close();
});

/** Opens the page and mounts an editor for `name` on the target server. */
async function openEditor(
  server: RunningTarget,
  name: string,
  errors: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(pageOrigin);
  const options: MountOptions = {
    url: server.url,
    name,
    token: await server.tokenFor(name, "write"),
  };
  await page.evaluate(
    ([global, options]) => {
      const g = globalThis as unknown as Record<string, any>;
      g.app = g[global].mount(g.document.querySelector("#editor"), options);
    },
    [BUNDLE_GLOBAL, options] as const,
  );
  await waitFor(page, "synced", "app.provider.isSynced");
  return { context, page };
}

const text = (page: Page) => page.evaluate("app.editor.getText()") as Promise<string>;

async function waitFor(page: Page, what: string, expression: string): Promise<void> {
  await page.waitForFunction(expression, null, { timeout: WAIT_MS }).catch(async (err) => {
    throw new Error(
      `${what}: text=${JSON.stringify(await text(page))} (${(err as Error).message})`,
    );
  });
}

/**
 * Types at the start or the end of the document with real key events. The caret is placed by
 * Tiptap's `focus` command (a click's own selection can land after a key press under load), which
 * sets the selection at once and focuses in the next animation frame: keys wait for that.
 */
async function typeAt(page: Page, where: "start" | "end", typed: string) {
  await page.evaluate(`app.editor.commands.focus(${JSON.stringify(where)})`);
  await waitFor(page, "editor focused", "app.editor.view.hasFocus()");
  await page.keyboard.type(typed);
}

const acknowledged = (page: Page) =>
  waitFor(page, "every change acknowledged", "!app.provider.hasUnsyncedChanges");

describe.each(TARGETS)("Tiptap in Chromium over $name", (target) => {
  it.skipIf(!runs(target))(
    "two pages typing into one document converge, and the text outlives a restart",
    async () => {
      const server = await target.start();
      const errors: string[] = [];
      const contexts: BrowserContext[] = [];
      try {
        const name = uniqueDocId("tiptap");
        const [a, b] = await Promise.all([
          openEditor(server, name, errors),
          openEditor(server, name, errors),
        ]);
        contexts.push(a.context, b.context);

        await typeAt(a.page, "end", "Hello from A.");
        await waitFor(b.page, "b sees a", `app.editor.getText() === "Hello from A."`);
        // Both at once, at the two ends: concurrent edits, each one's keystrokes contiguous.
        await Promise.all([
          typeAt(a.page, "end", " A types on."),
          typeAt(b.page, "start", "B at once. "),
        ]);
        const expected = "B at once. Hello from A. A types on.";
        const converged = `app.editor.getText() === ${JSON.stringify(expected)}`;
        await Promise.all([
          waitFor(a.page, "a converged", converged),
          waitFor(b.page, "b converged", converged),
        ]);
        await Promise.all([acknowledged(a.page), acknowledged(b.page)]);

        // Acknowledged means stored: nothing may be lost to a SIGKILL (edgesync restarts; the
        // in-process Hocuspocus reference cannot, and stores on a debounce anyway).
        await server.restart?.();
        const c = await openEditor(server, name, errors);
        contexts.push(c.context);
        expect(await text(c.page)).toBe(expected);
        expect(errors).toEqual([]);
      } finally {
        await Promise.all(contexts.map((context) => context.close()));
        await server.stop();
      }
    },
    // Two browsers, a server restart and two more pages: minutes on a loaded 2-core machine.
    TEST_TIMEOUT_MS,
  );
});
