// A real Tiptap editor (StarterKit + Collaboration over a stock @hocuspocus/provider, the page
// tiptap.test.ts uses) in real Chromium, on the shared server with tokens: the document is
// rewritten, then restored over REST to an earlier moment; the open editor shows the earlier
// version, headings, bold, italic and lists intact, without a reload, and so does a new page.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";
import { openTiptap, serveTiptapPages, type TiptapPages } from "./tiptap-pages";

/** How long a page may take to sync, converge or be acknowledged (servers share 2 CPUs). */
const WAIT_MS = 30_000;

const server = () => sharedServer("auth");
const tokenFor = (doc: string, sub: string) =>
  createToken(TEST_AUTH_SECRET, { doc, role: "write", ttlSeconds: 3600, sub });

let pages: TiptapPages;
beforeAll(async () => {
  pages = await serveTiptapPages();
});
afterAll(() => pages?.close());

async function openEditor(name: string, errors: string[]): Promise<Page> {
  const url = `${server().url.replace(/^http/, "ws")}/hocuspocus`;
  const token = await tokenFor(name, "writer");
  return (await openTiptap(pages, { url, name, token }, errors, waitFor)).page;
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
