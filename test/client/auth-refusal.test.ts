// A token the server refuses, against the real server with AUTH_SECRET set: when retrying
// cannot help (a static token, none, or a token function that returns the refused token
// again), SyncProvider says so with a `token` error instead of looping, and it never reports
// `connected` for a socket the server refused.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  CloseCode,
  SyncProvider,
  type ProviderStatus,
  type SyncError,
  type WebSocketConstructor,
} from "../../client/index";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { countingWebSocket } from "../helpers/client-server";
import { eventually, uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

/** Long enough for a looping provider to have reconnected several times (backoff base 50 ms). */
const WATCH_MS = 1_500;
const FAST_BACKOFF = { baseMs: 50, capMs: 400 };

const server = sharedServer("auth");

/** A provider with a counting WebSocket, recording its statuses and errors. */
function watched(docId: string, token: string | (() => Promise<string>) | undefined) {
  const { WebSocket, counter } = countingWebSocket();
  const p = new SyncProvider({
    url: server.wsUrl,
    docId,
    doc: new Y.Doc(),
    token,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    backoff: FAST_BACKOFF,
  });
  const statuses: ProviderStatus[] = [];
  const errors: SyncError[] = [];
  p.on("status", (s) => statuses.push(s));
  p.on("error", (e) => errors.push(e));
  return { p, counter, statuses, errors };
}

describe("SyncProvider with a refused token", () => {
  const refusedStatic: [string, string | undefined][] = [
    ["an invalid static token", "not-a-jwt"],
    ["no token", undefined],
  ];
  for (const [what, token] of refusedStatic) {
    it(`stops with a token error for ${what}, never reporting connected`, async () => {
      const { p, counter, statuses, errors } = watched(uniqueDocId("refused"), token);
      const synced = p.whenSynced().then(
        () => null,
        (e: SyncError) => e,
      );
      await eventually(
        () => errors.length > 0,
        () => `statuses ${statuses.join(" → ")}, no error`,
        10_000,
      );
      expect(await synced).toMatchObject({ code: "token" });
      await new Promise((r) => setTimeout(r, WATCH_MS));
      expect(errors.map((e) => [e.code, e.closeCode])).toEqual([
        ["token", CloseCode.Unauthenticated],
      ]);
      expect(statuses).not.toContain("connected");
      expect(p.status).toBe("disconnected");
      expect(counter.opened).toBe(1);
      await p.destroy();
    });
  }

  it("backs off with token errors while the token function returns the refused token, then connects", async () => {
    const docId = uniqueDocId("refused-fn");
    const good = await createToken(TEST_AUTH_SECRET, {
      doc: docId,
      role: "write",
      ttlSeconds: 3600,
    });
    let current = "not-a-jwt";
    let calls = 0;
    const { p, counter, statuses, errors } = watched(docId, async () => (calls++, current));
    const delays: number[] = [];
    p.on("reconnect", ({ delayMs }) => delays.push(delayMs));
    await eventually(
      () => errors.length >= 3,
      () => `errors: ${errors.map((e) => e.message).join("; ")}`,
      10_000,
    );
    expect(errors.every((e) => e.code === "token")).toBe(true);
    expect(statuses).not.toContain("connected");
    // Only the first attempt went out: the refused token is never sent again.
    expect(counter.opened).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(delays.length).toBeGreaterThanOrEqual(3);

    current = good; // e.g. the user signed in again
    await p.whenSynced();
    expect(p.status).toBe("connected");
    await p.destroy();
  });
});
