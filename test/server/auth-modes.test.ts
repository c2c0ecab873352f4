// Auth modes of the real server: `npm start -- --var AUTH_SECRET:…` turns tokens on (and
// `npm run token` mints one that works); plain `wrangler dev` without the secret fails closed.
import { execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  signalProcessGroup,
  startServer,
  upgradeRequest,
  type RunningServer,
} from "../helpers/server";
import { provider, uniqueDocId, whenSynced } from "../helpers/providers";

const SECRET = "a-local-secret-for-the-auth-mode-test";
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.dispose();
});

describe("auth modes", () => {
  it("npm start with AUTH_SECRET requires tokens, and npm run token mints valid ones", async () => {
    const server = await startServer({ vars: { AUTH_SECRET: SECRET } });
    servers.push(server);
    const docId = uniqueDocId();
    const refused = await upgradeRequest(`${server.url}/sync/${docId}`);
    expect(refused.status).toBe(401);
    expect((JSON.parse(refused.body) as { error: { code: string } }).error.code).toBe(
      "missing_token",
    );
    expect(((await (await fetch(`${server.url}/health`)).json()) as { auth: string }).auth).toBe(
      "token",
    );

    const token = execFileSync(
      process.execPath,
      ["scripts/token.mjs", "--doc", docId, "--role", "write", "--ttl", "10m", "--secret", SECRET],
      {
        encoding: "utf8",
      },
    ).trim();
    const p = provider(server.wsUrl, docId, undefined, { token });
    await whenSynced(p);
    p.destroy();
  });

  it("a deployment without AUTH_SECRET (no local open-access switch) refuses every request with 503", async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        "node_modules/wrangler/bin/wrangler.js",
        "dev",
        "--port",
        String(port),
        // Its own, not wrangler's 9229: servers starting at once raced for it (test/helpers/server.ts).
        "--inspector-port",
        String(await freePort()),
        "--ip",
        "127.0.0.1",
        "--persist-to",
        `/tmp/edgesync-failclosed-${port}`,
      ],
      {
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
        stdio: "ignore",
        detached: true,
      },
    );
    try {
      let res: { status: number; body: string } | null = null;
      for (let i = 0; i < 300 && !res; i++) {
        res = await upgradeRequest(`http://127.0.0.1:${port}/sync/doc`).catch(() => null);
        if (!res) await new Promise((r) => setTimeout(r, 200));
      }
      expect(res?.status).toBe(503);
      const body = JSON.parse(res!.body) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("auth_not_configured");
      expect(body.error.message).toContain("AUTH_SECRET");
    } finally {
      signalProcessGroup(child, "SIGKILL"); // the group may have exited already (a run saw ESRCH)
      rmSync(`/tmp/edgesync-failclosed-${port}`, { recursive: true, force: true });
    }
  });
});
