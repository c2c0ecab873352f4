// Reconnect backoff with the server down (nothing listens on the port): attempts spread out
// exponentially with jitter and stop growing at the cap; no busy loop.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncProvider, type WebSocketConstructor } from "../../client/index";
import { countingWebSocket } from "../helpers/client-server";
import { eventually } from "../helpers/providers";
import { freePort } from "../helpers/server";

/** Small numbers so the test sees the cap within a second or two. */
const BACKOFF = { baseMs: 20, capMs: 160, jitter: 0.5 };
const ATTEMPTS = 12;

describe("SyncProvider backoff", () => {
  it("spreads reconnect attempts out exponentially up to the cap", async () => {
    const port = await freePort();
    const { WebSocket, counter } = countingWebSocket<WebSocketConstructor>();
    const scheduled: { attempt: number; delayMs: number; at: number }[] = [];
    const p = new SyncProvider({
      url: `ws://127.0.0.1:${port}/sync`,
      docId: "down",
      doc: new Y.Doc(),
      WebSocket,
      backoff: BACKOFF,
    });
    p.on("reconnect", (r) => scheduled.push({ ...r, at: Date.now() }));
    await eventually(
      () => scheduled.length >= ATTEMPTS,
      () => `${scheduled.length} reconnects scheduled`,
    );
    await p.destroy();

    for (const [i, { attempt, delayMs }] of scheduled.entries()) {
      expect(attempt).toBe(i);
      const ceiling = Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** attempt);
      expect(delayMs).toBeLessThanOrEqual(ceiling);
      expect(delayMs).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - BACKOFF.jitter)));
    }
    // The later delays are all capped.
    expect(scheduled.slice(4).every((s) => s.delayMs <= BACKOFF.capMs)).toBe(true);
    // Each connection attempt waited at least its scheduled delay (timers never fire early):
    // attempt k+1 opens a socket no sooner than `delayMs` after reconnect k was scheduled.
    for (let k = 0; k + 1 < counter.openedAt.length && k < scheduled.length; k++) {
      expect(counter.openedAt[k + 1]! - scheduled[k]!.at).toBeGreaterThanOrEqual(
        scheduled[k]!.delayMs - 1,
      );
    }
    // One socket per scheduled attempt (plus the first): nothing connects outside the schedule.
    expect(counter.opened).toBeLessThanOrEqual(scheduled.length + 1);
    expect(p.status).toBe("disconnected");
  });
});
