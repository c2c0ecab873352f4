// The Tiptap app page (tiptap-app.ts bundled by esbuild) served from 127.0.0.1, where Chromium
// lets a page open sockets to loopback, and an editor mounted on it: shared by the browser tests
// that drive a real Tiptap editor.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../helpers/chromium";
import type { MountOptions } from "./tiptap-app";

const APP = fileURLToPath(new URL("./tiptap-app.ts", import.meta.url));
/** The global the bundle exposes `mount` on. */
const BUNDLE_GLOBAL = "tiptapApp";
const HTML = `<!doctype html><meta charset="utf-8"><div id="editor"></div>
<script src="/app.js"></script>`;

export interface TiptapPages {
  /** The page's origin, http://127.0.0.1:<port>. */
  origin: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Bundles the app, serves it (and its page) and launches Chromium, until `close`. */
export async function serveTiptapPages(): Promise<TiptapPages> {
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
  const pages = createServer((req, res) => {
    const script = req.url === "/app.js";
    res.writeHead(200, { "content-type": script ? "text/javascript" : "text/html" });
    res.end(script ? bundle : HTML);
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  const browser = await launchChromium().catch((err: unknown) => {
    pages.close();
    throw err;
  });
  const close = async () => {
    await browser.close();
    pages.close();
  };
  return { origin, browser, close };
}

/**
 * Opens the page in a new context and mounts an editor with `options` (as `app` on the page);
 * page errors are collected in `errors`. Resolves once `app.provider` is synced.
 */
export async function openTiptap(
  pages: TiptapPages,
  options: MountOptions,
  errors: string[],
  waitFor: (page: Page, what: string, expression: string) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await pages.browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(pages.origin);
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
