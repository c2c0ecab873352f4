// Awareness across a reconnect, at the protocol level: a client back on a new socket with the
// clock it had is forwarded to the others above what they remember, while its own socket is
// only ever sent its own clock; echoes of a departed client's state never count as a claim.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { awarenessFrame, readAwareness } from "../helpers/frames";
import { openSocket, uniqueDocId, type TestSocket } from "../helpers/workerd-socket";

/** A little over the two seconds that cover the one newcomer in the restart test. */
const SECONDS_PER_NEWCOMER_MS = 2_100;

type Entry = { clientId: number; clock: number; state: unknown };

/** Every awareness entry for `clientId` a socket has received so far, in order. */
function entriesFor(socket: TestSocket, clientId: number): Entry[] {
  return socket.messages
    .flatMap((m) => readAwareness(m) ?? [])
    .filter((e) => e.clientId === clientId);
}

function entryMatching(clientId: number, match: (e: Entry) => boolean) {
  return (m: Uint8Array) =>
    readAwareness(m)?.some((e) => e.clientId === clientId && match(e)) ?? false;
}

/**
 * Opens `watcher` unless given, lets a client announce `clientId`
 * at `clock` and drop its socket; returns the watcher and the highest clock it saw for it.
 */
async function departed(
  docId: string,
  clientId: number,
  clock: number,
  state: unknown,
  watcher?: TestSocket,
) {
  watcher ??= await openSocket(`/sync/${docId}`);
  const first = await openSocket(`/sync/${docId}`);
  first.send(awarenessFrame(clientId, clock, state));
  await watcher.waitFor(entryMatching(clientId, (e) => e.state !== null));
  first.ws.close(1000, "network drop");
  await watcher.waitFor(entryMatching(clientId, (e) => e.state === null));
  return { watcher, seen: Math.max(...entriesFor(watcher, clientId).map((e) => e.clock)) };
}

describe("awareness after a reconnect", () => {
  it("forwards a returning client's old clock above what the others saw, and sends it back its own", async () => {
    const docId = uniqueDocId();
    const ID = 5005;
    const { watcher, seen } = await departed(docId, ID, 3, { name: "ada" });

    // Back on a new socket, with the clock it had: stock clients do exactly this.
    const again = await openSocket(`/sync/${docId}`);
    again.send(awarenessFrame(ID, 3, { name: "ada" }));
    const back = await watcher.waitFor(
      entryMatching(ID, (e) => e.state !== null && e.clock > seen),
    );
    expect(readAwareness(back)).toContainEqual({
      clientId: ID,
      clock: seen + 1,
      state: { name: "ada" },
    });
    await again.waitFor(entryMatching(ID, () => true));

    // Later changes keep the same distance; the owner only ever sees its own clocks.
    again.send(awarenessFrame(ID, 4, { name: "ada", cursor: 7 }));
    await watcher.waitFor(
      entryMatching(
        ID,
        (e) => e.clock === seen + 2 && (e.state as { cursor?: number })?.cursor === 7,
      ),
    );
    await again.waitFor(entryMatching(ID, (e) => e.clock === 4));
    again.send(awarenessFrame(ID, 4, null));
    await watcher.waitFor(entryMatching(ID, (e) => e.clock === seen + 2 && e.state === null));
    await again.waitFor(entryMatching(ID, (e) => e.state === null));
    expect(entriesFor(again, ID).map((e) => e.clock)).toEqual([3, 4, 4]);
    expect(again.closeInfo).toBeNull();
  });

  it("does not take a late echo of a departed client's state as a claim", async () => {
    const docId = uniqueDocId();
    const ID = 6006;
    const echoer = await openSocket(`/sync/${docId}`);
    echoer.send(awarenessFrame(7007, 1, { name: "echoer" }));
    const { seen } = await departed(docId, ID, 2, { name: "bo" }, echoer);

    // A stock client re-sends what it received; this copy arrives after the owner left.
    echoer.send(awarenessFrame(ID, seen, { name: "bo" }));
    const again = await openSocket(`/sync/${docId}`);
    // Had the echo made the echoer the owner, this would be dropped as someone else's echo.
    again.send(awarenessFrame(ID, 2, { name: "bo" }));
    await echoer.waitFor(entryMatching(ID, (e) => e.state !== null && e.clock > seen));
    expect(again.closeInfo).toBeNull();
    expect(echoer.closeInfo).toBeNull();
  });

  it("keeps a returning client's room clock ahead across hibernation", async () => {
    const docId = uniqueDocId();
    const ID = 8008;
    const { watcher, seen } = await departed(docId, ID, 3, { name: "cy" });
    const again = await openSocket(`/sync/${docId}`);
    again.send(awarenessFrame(ID, 3, { name: "cy" }));
    await watcher.waitFor(entryMatching(ID, (e) => e.state !== null && e.clock === seen + 1));

    await evictDurableObject(env.DOCUMENTS.get(env.DOCUMENTS.idFromName(docId)), {
      webSockets: "hibernate",
    });

    again.send(awarenessFrame(ID, 4, { name: "cy", cursor: 2 }));
    await watcher.waitFor(
      entryMatching(
        ID,
        (e) => e.clock === seen + 2 && (e.state as { cursor?: number })?.cursor === 2,
      ),
    );
    expect(entriesFor(again, ID).every((e) => e.clock <= 4)).toBe(true);
  });

  it("forwards a client returning to a restarted object above the clocks the others remember", async () => {
    const docId = uniqueDocId();
    const ID = 9009;
    const stub = () => env.DOCUMENTS.get(env.DOCUMENTS.idFromName(docId));
    const watcher = await openSocket(`/sync/${docId}`);
    const first = await openSocket(`/sync/${docId}`);
    first.send(awarenessFrame(ID, 3, { name: "di" }));
    await watcher.waitFor(entryMatching(ID, (e) => e.state !== null));
    await openSocket(`/sync/${docId}`); // a newcomer: the room clock moves one ahead
    // Room clocks of an id new to an instance start at the current Unix second; this wait is
    // the "more seconds than newcomers" the scheme assumes (PROTOCOL.md), not a timing check.
    await new Promise((r) => setTimeout(r, SECONDS_PER_NEWCOMER_MS));
    const seen = Math.max(...entriesFor(watcher, ID).map((e) => e.clock));

    // A deploy restarts the object: every socket is closed and its memory is gone.
    await evictDurableObject(stub(), { webSockets: "close" });
    const watcherBack = await openSocket(`/sync/${docId}`);
    const again = await openSocket(`/sync/${docId}`);
    again.send(awarenessFrame(ID, 3, { name: "di" }));
    await watcherBack.waitFor(entryMatching(ID, (e) => e.state !== null && e.clock > seen));
    await again.waitFor(entryMatching(ID, () => true));
    expect(entriesFor(again, ID).map((e) => e.clock)).toEqual([3]);
  });
});
