// A real Tiptap editor (StarterKit + Collaboration over a stock @hocuspocus/provider, the bundle
// tiptap.test.ts builds) in real Chromium, on the shared server with tokens: the document is
// rewritten, then restored over REST to an earlier moment; the open editor shows the earlier
// version, headings, bold, italic and lists intact, without a reload, and so does a new page.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { launchChromium } from "../helpers/chromium";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";
import type { MountOptions } from "./tiptap-app";

const APP = fileURLToPath(new URL("./tiptap-app.ts", import.meta.url));
const BUNDLE_GLOBAL = "tiptapApp";
/** How long a page may take to sync, converge or be acknowledged (servers share 2 CPUs). */
const WAIT_MS = 30_000;
const HTML = `<!doctype html><meta charset="utf-8"><div id="editor"></div>
<script src="/app.js"></script>`;

const server = () => sharedServer("auth");
const tokenFor = (doc: string, sub: string) =>
  createToken(TEST_AUTH_SECRET, { doc, role: "write", ttlSeconds: 3600, sub });

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

async function openEditor(name: string, errors: string[]): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(pageOrigin);
  const options: MountOptions = {
    url: `${server().url.replace(/^http/, "ws")}/hocuspocus`,
    name,
    token: await tokenFor(name, "writer"),
  };
  await page.evaluate(
    ([global, options]) => {
      const g = globalThis as unknown as Record<string, any>;
      g.app = g[global].mount(g.document.querySelector("#editor"), options);
    },
    [BUNDLE_GLOBAL, options] as const,
  );
  await waitFor(page, "synced", "app.provider.isSynced");
  return page;
}

const html = (page: Page) => page.evaluate("app.editor.getHTML()") as Promise<string>;

async function waitFor(page: Page, what: string, expression: string): Promise<void> {
  await page.waitForFunction(expression, null, { timeout: WAIT_MS }).catch(async (err) => {
    throw new Error(`${what}: html=${await html(page)} (${(err as Error).message})`);
  });
}

const acknowledged = (page: Page) =>
  waitFor(page, "every change acknowledged", "!app.provider.hasUnsyncedChanges");

describe("restore in a Tiptap editor", () => {
  it("shows the restored earlier version with its formatting, live and in a new page", async () => {
    const name = uniqueDocId("tiptap-restore");
    const errors: string[] = [];
    const page = await openEditor(name, errors);
    const earlier =
      "<h2>Plan</h2><p>Ship <strong>restore</strong> and <em>revert</em> today.</p>" +
      "<ul><li><p>one</p></li><li><p><strong><em>two</em></strong></p></li></ul>";
    await page.evaluate(`app.editor.commands.setContent(${JSON.stringify(earlier)})`);
    await acknowledged(page);
    const shown = await html(page);
    // (StarterKit adds an empty trailing paragraph after the list.)
    expect(shown.startsWith(earlier), shown).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    const point = Date.now();
    await new Promise((r) => setTimeout(r, 30));

    // Someone rewrites most of it, keystrokes and commands alike.
    await page.evaluate(`app.editor.chain().focus("end").toggleBold().run()`);
    await page.keyboard.type(" Later.");
    await page.evaluate(
      `app.editor.chain().setTextSelection({ from: 1, to: 30 }).deleteSelection().run()`,
    );
    await acknowledged(page);
    expect(await html(page)).not.toBe(shown);

    const res = await fetch(`${server().url}/v1/docs/${encodeURIComponent(name)}/restore`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await tokenFor(name, "editor")}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ at: point }),
    });
    expect(res.status).toBe(200);
    await waitFor(
      page,
      "restored in the open editor",
      `app.editor.getHTML() === ${JSON.stringify(shown)}`,
    );
    const fresh = await openEditor(name, errors);
    expect(await html(fresh)).toBe(shown);
    expect(errors).toEqual([]);
  });
});
