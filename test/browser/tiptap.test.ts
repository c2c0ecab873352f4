// A real Tiptap editor (StarterKit + Collaboration over a stock @hocuspocus/provider, bundled by
// esbuild) in real Chromium: two pages type into one document and converge, every change
// acknowledged; the server is SIGKILLed and restarted where the target can be, and a fresh page
// then finds all of the text. Runs against the targets of the Hocuspocus conformance suite.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueDocId } from "../helpers/providers";
import { TARGETS, runs, type RunningTarget } from "../hocuspocus/targets";
import { openTiptap, serveTiptapPages, type TiptapPages } from "./tiptap-pages";

/** How long a page may take to sync, converge or be acknowledged (servers share 2 CPUs). */
const WAIT_MS = 30_000;
/** The whole test, restart included, when the machine runs the rest of the suite beside it. */
const TEST_TIMEOUT_MS = 240_000;

let pages: TiptapPages;
beforeAll(async () => {
  pages = await serveTiptapPages();
});
afterAll(() => pages?.close());

/** Opens the page and mounts an editor for `name` on the target server. */
async function openEditor(
  server: RunningTarget,
  name: string,
  errors: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const token = await server.tokenFor(name, "write");
  return openTiptap(pages, { url: server.url, name, token }, errors, waitFor);
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
