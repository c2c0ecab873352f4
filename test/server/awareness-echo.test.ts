// Stock y-websocket clients re-send every awareness change they receive. Sockets flooding
// awareness (each under the per-socket limit) must not get honest stock clients closed for
// those echoes: an echo that changes nothing is not charged to the socket that echoes it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode } from "../../protocol/close-codes";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** The per-socket limit for this test (per 10 s window), lowered so the flood stays short. */
const RATE_LIMIT_MESSAGES = 400;
const ATTACKERS = 3;
/**
 * Awareness changes each attacker makes: under the limit alone, over it as everyone's echoes.
 * Small: a full run once saw both honest clients' sockets dropped (1006, not the limit's close)
 * while 1,500 changes each, echoed five ways, crossed one process on a loaded machine.
 */
const CHANGES = 300;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ vars: { RATE_LIMIT_MESSAGES: String(RATE_LIMIT_MESSAGES) } });
});
afterAll(async () => {
  await server?.dispose();
});

describe("awareness echoes", () => {
  it("three awareness-flooding stock clients never get an honest stock client closed", async () => {
    expect(CHANGES).toBeLessThan(RATE_LIMIT_MESSAGES);
    expect(ATTACKERS * CHANGES).toBeGreaterThan(RATE_LIMIT_MESSAGES);
    const docId = uniqueDocId("echo");
    const honest = [provider(server.wsUrl, docId), provider(server.wsUrl, docId)];
    const closes: string[] = [];
    for (const p of honest)
      p.on("connection-close", (event: { code: number; reason: string } | null) =>
        closes.push(`${event?.code} ${event?.reason}`),
      );
    const attackers = Array.from({ length: ATTACKERS }, () => provider(server.wsUrl, docId));
    await Promise.all([...honest, ...attackers].map((p) => whenSynced(p)));
    honest[0]!.awareness.setLocalStateField("user", { name: "honest" });

    for (let i = 0; i < CHANGES; i++)
      for (const a of attackers) a.awareness.setLocalStateField("cursor", i);
    // Every honest client has seen the whole flood (and echoed all of it).
    await eventually(
      () =>
        honest.every((p) =>
          attackers.every(
            (a) =>
              (p.awareness.getStates().get(a.doc.clientID) as { cursor?: number } | undefined)
                ?.cursor ===
              CHANGES - 1,
          ),
        ),
      () =>
        `honest clients saw ${JSON.stringify(honest.map((p) => attackers.map((a) => (p.awareness.getStates().get(a.doc.clientID) as { cursor?: number } | undefined)?.cursor)))}; closes ${closes}`,
      60_000,
    );
    honest[0]!.doc.getText("t").insert(0, "still here");
    await eventually(
      () => honest[1]!.doc.getText("t").toString() === "still here",
      () => `closes ${closes}`,
    );
    expect(closes).toEqual([]); // before the fix: two of `${CloseCode.RateLimited} rate limit exceeded`
    for (const p of [...honest, ...attackers]) p.destroy();
  }, 120_000);
});
