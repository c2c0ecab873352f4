// A server whose D1 database lacks edgesync's tables (what an embedder who skipped
// `wrangler d1 migrations apply` runs): every route says so with `d1_not_migrated` (HTTP 500) or
// close code 4412, naming the command to run, never a "retry later" that no retry can satisfy.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const THE_FIX = "wrangler d1 migrations apply <binding> --local";

let server: RunningServer;
beforeAll(async () => {
  // Started as `npm start` does (which migrates), then the tables are dropped while it is down:
  // the migrations table still says applied, so the restart leaves them missing.
  server = await startServer();
  await server.stop();
  const drop = spawnSync(
    process.execPath,
    [
      WRANGLER,
      "d1",
      "execute",
      "DB",
      "--local",
      "--persist-to",
      server.persistTo,
      "--command",
      "DROP TABLE snapshot_chunks; DROP TABLE documents;",
    ],
    { cwd: ROOT, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  expect(drop.status, String(drop.stderr)).toBe(0);
  await server.restart();
});
afterAll(async () => {
  await server?.dispose();
});

async function expectNotMigrated(res: Response): Promise<void> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(res.status, JSON.stringify(body)).toBe(500);
  expect(body.error.code).toBe("d1_not_migrated");
  expect(body.error.message).toContain(THE_FIX);
  expect(body.error.message).not.toMatch(/retry/);
}

function update(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe("a server whose D1 is not migrated", () => {
  it("answers every REST document route and the listing with 500 d1_not_migrated", async () => {
    const docs = `${server.url}/v1/docs`;
    const id = uniqueDocId("unmigrated");
    const json = { "Content-Type": "application/json" };
    const bytes = { "Content-Type": "application/octet-stream" };
    await expectNotMigrated(
      await fetch(`${docs}/${id}/update`, { method: "POST", headers: bytes, body: update("a") }),
    );
    await expectNotMigrated(await fetch(`${docs}/${id}`));
    await expectNotMigrated(await fetch(`${docs}/${id}/json`));
    await expectNotMigrated(await fetch(`${docs}/${id}/update`));
    await expectNotMigrated(
      await fetch(`${docs}/${id}/sync`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ stateVector: "AA" }),
      }),
    );
    await expectNotMigrated(await fetch(`${docs}/${id}`, { method: "DELETE" }));
    await expectNotMigrated(await fetch(`${docs}?prefix=unmigrated`));
  });

  it("answers each document of a batch sync with d1_not_migrated", async () => {
    const id = uniqueDocId("unmigrated-batch");
    const res = await fetch(`${server.url}/v1/sync`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ documents: [{ id, stateVector: "AA" }] }),
    });
    const { results } = (await res.json()) as {
      results: { id: string; status: number; error?: { code: string; message: string } }[];
    };
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id, status: 500, error: { code: "d1_not_migrated" } });
    expect(results[0]!.error!.message).toContain(THE_FIX);
  });

  it("closes sockets with the permanent 4412 and a reason naming the fix, stock or ext", async () => {
    for (const query of ["", "?ext=1"]) {
      const ws = new WebSocket(`${server.wsUrl}/${uniqueDocId("unmigrated-ws")}${query}`);
      const [code, reason] = await new Promise<[number, string]>((resolve, reject) => {
        ws.once("close", (c, r) => resolve([c, r.toString()]));
        ws.once("error", reject);
      });
      expect(code, reason).toBe(CloseCode.NotMigrated);
      expect(reason).toContain("wrangler d1 migrations apply");
      expect(reason).not.toMatch(/retry/);
    }
  });
});
