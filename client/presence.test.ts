import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import { parseAwarenessUpdate } from "../protocol/validation";
import { decodeServerMessage } from "../protocol/server-messages";
import { PresenceSync } from "./presence";

/** An awareness with a PresenceSync over it that records the entries it sends. */
function presence(name: string) {
  const awareness = new awarenessProtocol.Awareness(new Y.Doc());
  clearInterval(
    (awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval,
  );
  const sent: { clientId: number; clock: number }[] = [];
  const sync = new PresenceSync(awareness, (frame) => {
    const message = decodeServerMessage(frame);
    if (message.kind !== "awareness") throw new Error(`unexpected ${message.kind}`);
    for (const { clientId, clock } of parseAwarenessUpdate(message.update))
      sent.push({ clientId, clock });
  });
  awareness.setLocalStateField("user", name);
  sent.length = 0;
  return { awareness, sync, sent };
}

describe("PresenceSync across a reconnect", () => {
  it("announces with a new clock, so a server that removed its state at the old one takes it", () => {
    const { awareness, sync, sent } = presence("ada");
    const before = awareness.meta.get(awareness.clientID)!.clock;
    sync.announce();
    expect(sent).toEqual([{ clientId: awareness.clientID, clock: before + 1 }]);
    expect(awareness.getLocalState()).toEqual({ user: "ada" });
  });

  it("forgets others' clocks with their states, so the next greeting at the same clocks is shown", () => {
    const ada = presence("ada");
    const bo = presence("bo");
    const greeting = awarenessProtocol.encodeAwarenessUpdate(bo.awareness, [bo.awareness.clientID]);
    ada.sync.apply(greeting);
    expect(ada.awareness.getStates().get(bo.awareness.clientID)).toEqual({ user: "bo" });
    ada.sync.forgetOthers();
    expect(ada.awareness.getStates().has(bo.awareness.clientID)).toBe(false);
    ada.sync.apply(greeting); // the same clock as before the disconnect
    expect(ada.awareness.getStates().get(bo.awareness.clientID)).toEqual({ user: "bo" });
    expect(ada.awareness.getLocalState()).toEqual({ user: "ada" });
  });
});
