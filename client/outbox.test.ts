import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { decodeServerMessage } from "../protocol/server-messages";
import { manualClock } from "../test/helpers/manual-clock";
import { Outbox } from "./outbox";
import type { WebSocketLike } from "./types";

/** A socket that records what is sent (decoded with the same decoder: the frames are symmetric). */
function socket() {
  const sent: ReturnType<typeof decodeServerMessage>[] = [];
  const ws = {
    send: (data: Uint8Array) => sent.push(decodeServerMessage(data)),
  } as unknown as WebSocketLike;
  return { ws, sent };
}

function updates(n: number): Uint8Array[] {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => out.push(u));
  for (let i = 0; i < n; i++) doc.getText("t").insert(i, "x");
  return out;
}

describe("Outbox", () => {
  it("merges updates within the window into one message and asks for one ack after it", () => {
    const { clock, advance } = manualClock();
    const { ws, sent } = socket();
    const box = new Outbox(clock, 50, 500);
    box.attach(ws);
    box.sentStep2();
    const [first, ...rest] = updates(10);
    expect(box.local(first!)).toBe(true);
    for (const u of rest) expect(box.local(u)).toBe(false);
    advance(49);
    expect(sent).toEqual([]);
    advance(1);
    expect(sent.map((m) => m.kind)).toEqual(["sync-update"]);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (sent[0] as { update: Uint8Array }).update);
    expect(doc.getText("t").toString()).toBe("x".repeat(10));
    advance(500);
    expect(sent.map((m) => m.kind)).toEqual(["sync-update", "saved"]);
    expect(box.ack((sent[1] as { counter: number }).counter)).toBe(true);
    expect(box.unsaved).toBe(false);
  });

  it("keeps changes made while disconnected for the next step 2, and ignores echoes after a refusal", () => {
    const { clock, advance } = manualClock();
    const { ws, sent } = socket();
    const box = new Outbox(clock, 50, 500);
    box.local(updates(1)[0]!);
    advance(1000);
    box.attach(ws);
    expect(sent).toEqual([]); // nothing queued while detached: step 2 carries it
    box.sentStep2();
    expect(sent.map((m) => m.kind)).toEqual(["saved"]);
    box.refuse();
    expect(box.ack((sent[0] as { counter: number }).counter)).toBe(false);
    expect(box.unsaved).toBe(true);
  });
});
