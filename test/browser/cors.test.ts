// The REST API from a browser app on another origin, in real Chromium against the real server:
// fetch with a Bearer token and a JSON body (a preflighted request, as syncOverHttp sends it)
// works from an allowed origin (ALLOWED_ORIGINS "*" and a listed origin), errors stay readable,
// and a refused origin's requests fail in the browser and change nothing.
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeBase64url } from "../../protocol/base64url";
import { createToken } from "../../worker/tokens";
import { launchChromium } from "../helpers/chromium";
import { uniqueDocId } from "../helpers/providers";
import { freePort, startServer, type RunningServer } from "../helpers/server";

const SECRET = "a-local-secret-for-the-cors-test";

/** A page server: the "app" whose origin the API sees. */
async function appOrigin(): Promise<{ origin: string; server: Server }> {
  const port = await freePort();
  const server = createServer((_req, res) =>
    res.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>app</title>"),
  );
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${port}`, server };
}

let allowedApp: { origin: string; server: Server };
let refusedApp: { origin: string; server: Server };
let wildcard: RunningServer;
let listed: RunningServer;
let browser: Browser;
beforeAll(async () => {
  [allowedApp, refusedApp] = await Promise.all([appOrigin(), appOrigin()]);
  [wildcard, listed, browser] = await Promise.all([
    startServer({ vars: { AUTH_SECRET: SECRET, ALLOWED_ORIGINS: "*" } }),
    startServer({
      vars: {
        AUTH_SECRET: SECRET,
        ALLOWED_ORIGINS: `https://other.example.com, ${allowedApp.origin}`,
      },
    }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([wildcard?.dispose(), listed?.dispose()]);
  for (const app of [allowedApp, refusedApp]) app?.server.close();
});

type Outcome = { status: number; body: unknown } | { failed: string };

/** Runs fetch inside the page (so Chromium applies CORS) and reports status and JSON, or the failure. */
function browserFetch(
  page: Page,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<Outcome> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, init);
        return { status: res.status, body: await res.json() };
      } catch (err) {
        return { failed: String(err) };
      }
    },
    { url, init },
  );
}

async function openApp(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  return page;
}

const syncBody = (text: string) => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return JSON.stringify({
    stateVector: encodeBase64url(Y.encodeStateVector(doc)),
    update: encodeBase64url(Y.encodeStateAsUpdate(doc)),
  });
};

/** HTTP sync with Authorization and Content-Type: JSON, then a read, both from the page. */
async function syncAndRead(page: Page, api: string, docId: string, text: string) {
  const token = await createToken(SECRET, { doc: docId, role: "write", ttlSeconds: 600 });
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const sync = await browserFetch(page, `${api}/v1/docs/${docId}/sync`, {
    method: "POST",
    headers,
    body: syncBody(text),
  });
  const read = await browserFetch(page, `${api}/v1/docs/${docId}/json`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { sync, read };
}

/** What the server holds, asked without a browser (no Origin). */
async function serverJson(api: string, docId: string): Promise<number | unknown> {
  const token = await createToken(SECRET, { doc: docId, role: "read", ttlSeconds: 600 });
  const res = await fetch(`${api}/v1/docs/${docId}/json`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return res.status === 200 ? res.json() : res.status;
}

describe("REST API from another origin in Chromium", () => {
  it("works from any origin when ALLOWED_ORIGINS is *, and errors are readable", async () => {
    const page = await openApp(refusedApp.origin);
    const docId = uniqueDocId("cors");
    const { sync, read } = await syncAndRead(page, wildcard.url, docId, "from another origin");
    expect(sync).toMatchObject({ status: 200, body: { epoch: expect.any(String) } });
    expect(read).toEqual({ status: 200, body: { t: "from another origin" } });
    // A bad token: the browser can read the 401's JSON, not just see a network error.
    const bad = await browserFetch(page, `${wildcard.url}/v1/docs/${docId}/sync`, {
      method: "POST",
      headers: { Authorization: "Bearer not-a-token", "Content-Type": "application/json" },
      body: syncBody("x"),
    });
    expect(bad).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    await page.close();
  });

  it("works from a listed origin and fails from any other, changing nothing", async () => {
    const allowed = await openApp(allowedApp.origin);
    const docId = uniqueDocId("cors");
    const { sync, read } = await syncAndRead(allowed, listed.url, docId, "from the listed origin");
    expect(sync).toMatchObject({ status: 200 });
    expect(read).toEqual({ status: 200, body: { t: "from the listed origin" } });
    const wrongType = await browserFetch(allowed, `${listed.url}/v1/docs/${docId}/sync`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await createToken(SECRET, { doc: docId, role: "write", ttlSeconds: 600 })}`,
        "Content-Type": "text/plain",
      },
      body: syncBody("x"),
    });
    expect(wrongType).toMatchObject({
      status: 415,
      body: { error: { code: "unsupported_media_type" } },
    });

    const refused = await openApp(refusedApp.origin);
    const otherDoc = uniqueDocId("cors");
    const attempt = await syncAndRead(refused, listed.url, otherDoc, "must not arrive");
    expect(attempt.sync).toEqual({ failed: expect.stringContaining("Failed to fetch") });
    expect(attempt.read).toEqual({ failed: expect.stringContaining("Failed to fetch") });
    expect(await serverJson(listed.url, otherDoc)).toBe(404);
    expect(await serverJson(listed.url, docId)).toEqual({ t: "from the listed origin" });
    await Promise.all([allowed.close(), refused.close()]);
  });
});
