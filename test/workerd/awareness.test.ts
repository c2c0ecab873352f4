// Awareness: broadcast to every socket including the sender, removed when a socket closes,
// and protected by ownership (a socket may not change another socket's client ids).
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../protocol/close-codes";
import { awarenessFrame, isAwarenessFor, readAwareness } from "../helpers/frames";
import { openSocket, uniqueDocId } from "../helpers/workerd-socket";

describe("awareness", () => {
  it("reaches the other sockets and the sender, and is removed when the socket closes", async () => {
    const docId = uniqueDocId();
    const a = await openSocket(`/sync/${docId}`);
    const b = await openSocket(`/sync/${docId}`);
    a.send(awarenessFrame(1001, 1, { user: "ada" }));
    const isAda = isAwarenessFor(1001, (s) => (s as { user?: string } | null)?.user === "ada");
    await b.waitFor(isAda);
    await a.waitFor(isAda);
    a.ws.close(1000, "bye");
    await b.waitFor(isAwarenessFor(1001, (s) => s === null));
  });

  it("sends a newcomer the current states, with clocks above those it may remember", async () => {
    const docId = uniqueDocId();
    const a = await openSocket(`/sync/${docId}`);
    const watcher = await openSocket(`/sync/${docId}`);
    a.send(awarenessFrame(2002, 1, { cursor: 3 }));
    await a.waitFor(isAwarenessFor(2002));
    const sent = readAwareness(await watcher.waitFor(isAwarenessFor(2002)))!.find(
      (e) => e.clientId === 2002,
    )!;
    const late = await openSocket(`/sync/${docId}`);
    const msg = await late.waitFor(isAwarenessFor(2002));
    // The newcomer may be a client back from a dropped connection that still remembers the
    // clock the others were sent (and would ignore the state at that clock): it gets one more.
    expect(readAwareness(msg)).toContainEqual({
      clientId: 2002,
      clock: sent.clock + 1,
      state: { cursor: 3 },
    });
  });

  it("ignores echoes of other sockets' states but refuses attempts to change them", async () => {
    const docId = uniqueDocId();
    const owner = await openSocket(`/sync/${docId}`);
    const other = await openSocket(`/sync/${docId}`);
    owner.send(awarenessFrame(3003, 5, { name: "owner" }));
    // The clock as forwarded (the room clock, which may be ahead of the owner's: PROTOCOL.md).
    const { clock } = readAwareness(await other.waitFor(isAwarenessFor(3003)))!.find(
      (e) => e.clientId === 3003,
    )!;
    // Stock clients re-send what they received: same clock, no effect, no close.
    other.send(awarenessFrame(3003, clock, { name: "owner" }));
    other.send(awarenessFrame(4004, 1, { name: "other" }));
    await owner.waitFor(isAwarenessFor(4004));
    expect(other.closeInfo).toBeNull();
    // A higher clock for someone else's id is forgery.
    other.send(awarenessFrame(3003, clock + 4, { name: "forged" }));
    expect((await other.closed).code).toBe(CloseCode.Forbidden);
    await owner.waitFor(isAwarenessFor(4004, (s) => s === null));
    expect(
      owner.messages.some(
        isAwarenessFor(3003, (s) => (s as { name?: string } | null)?.name === "forged"),
      ),
    ).toBe(false);
  });
});
