// Frames that arrive back to back are handled as one batch (one Yjs transaction, log row and
// broadcast per run of updates from one socket). These tests pin what batching must not
// change: order, durability before acknowledgement, per-socket errors, and nothing lost.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { CloseCode } from "../../protocol/close-codes";
import { encodeSaved, encodeSyncUpdate, MessageType } from "../../protocol/messages";
import { rawFrame } from "../helpers/frames";
import {
  SyncedDoc,
  fetchWorker,
  openSocket,
  stubFor,
  uniqueDocId,
} from "../helpers/workerd-socket";

/** One update per character typed into text "t", as a stock client would send them. */
function keystrokes(text: string, clientID: number): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < text.length; i++) doc.getText("t").insert(i, text[i]!);
  return updates;
}

/** The document as the server holds it, through the REST API. */
async function serverText(docId: string): Promise<string> {
  const res = await fetchWorker(`/v1/docs/${docId}/update`);
  expect(res.status).toBe(200);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  return doc.getText("t").toString();
}

const stats = (docId: string) =>
  runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
const isSaved = (counter: number) => (m: Uint8Array) =>
  m[0] === MessageType.Saved && m[1] === counter;

describe("batched frames", () => {
  it("stores a burst in fewer rows than frames and acknowledges it only after all of it", async () => {
    const docId = uniqueDocId("burst");
    const reader = await SyncedDoc.open(docId);
    const writer = await openSocket(`/sync/${docId}?ext=1`);
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(6);
    const before = await stats(docId);
    for (const u of keystrokes(text, 101)) writer.send(encodeSyncUpdate(u));
    writer.send(encodeSaved(7));
    await writer.waitFor(isSaved(7));
    // The echo follows every write before it; evicting proves they are in storage.
    await evictDurableObject(stubFor(docId));
    expect(await serverText(docId)).toBe(text);
    await reader.waitForText(text);
    const after = await stats(docId);
    // Coalescing happened: fewer stored updates than frames (the log is compacted at 20
    // rows in this project, so count updates, not rows).
    expect(after.updateCount - before.updateCount).toBeGreaterThan(0);
    expect(after.updateCount - before.updateCount).toBeLessThan(text.length);
  });

  it("keeps interleaved writers apart: each gets the other's edits, none is lost", async () => {
    const docId = uniqueDocId("interleave");
    const a = await SyncedDoc.open(docId);
    const b = await SyncedDoc.open(docId);
    const fromA = keystrokes("aaaaaaaaaaaaaaaaaaaa", 201);
    const fromB = keystrokes("bbbbbbbbbbbbbbbbbbbb", 202);
    // Raw frames, alternating, so a batch holds runs from both sockets.
    for (let i = 0; i < fromA.length; i++) {
      a.socket.send(encodeSyncUpdate(fromA[i]!));
      b.socket.send(encodeSyncUpdate(fromB[i]!));
    }
    const expected = (() => {
      const doc = new Y.Doc();
      for (const u of [...fromA, ...fromB]) Y.applyUpdate(doc, u);
      return doc.getText("t").toString();
    })();
    expect(expected).toHaveLength(40);
    // Neither socket applied its own updates locally: each must receive exactly the other's,
    // never its own back (a broadcast mixing both runs would echo them).
    await a.waitForText("b".repeat(20));
    await b.waitForText("a".repeat(20));
    await new Promise((r) => setTimeout(r, 100));
    a.pump();
    b.pump();
    expect(a.doc.getText("t").toString()).toBe("b".repeat(20));
    expect(b.doc.getText("t").toString()).toBe("a".repeat(20));
    expect(await serverText(docId)).toBe(expected);
  });

  it("closes only the socket whose frame is bad; its earlier frames and the others' stay", async () => {
    const docId = uniqueDocId("badframe");
    const bad = await openSocket(`/sync/${docId}`);
    const good = await openSocket(`/sync/${docId}?ext=1`);
    const badUpdates = keystrokes("xyz", 301);
    const goodUpdates = keystrokes("12345", 302);
    bad.send(encodeSyncUpdate(badUpdates[0]!));
    good.send(encodeSyncUpdate(goodUpdates[0]!));
    bad.send(encodeSyncUpdate(badUpdates[1]!));
    bad.send(
      rawFrame((e) => (encoding.writeVarUint(e, MessageType.Sync), encoding.writeVarUint(e, 7))),
    ); // unknown sync type
    good.send(encodeSyncUpdate(goodUpdates[1]!));
    bad.send(encodeSyncUpdate(badUpdates[2]!)); // after the bad frame: must not be applied
    for (const u of goodUpdates.slice(2)) good.send(encodeSyncUpdate(u));
    good.send(encodeSaved(3));
    expect((await bad.closed).code).toBe(CloseCode.ProtocolError);
    await good.waitFor(isSaved(3));
    const text = await serverText(docId);
    expect([...text].filter((c) => "xyz".includes(c)).join("")).toBe("xy");
    expect([...text].filter((c) => "12345".includes(c)).join("")).toBe("12345");
  });

  it("applies frames sent just before a close", async () => {
    const docId = uniqueDocId("close");
    const writer = await openSocket(`/sync/${docId}`);
    const text = "sent, then closed at once";
    for (const u of keystrokes(text, 401)) writer.send(encodeSyncUpdate(u));
    writer.ws.close(1000, "done");
    await writer.closed;
    // The object handles the close after the queued frames, and then forgets the socket.
    let open = (await stats(docId)).connections;
    for (let i = 0; i < 100 && open > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      open = (await stats(docId)).connections;
    }
    expect(open).toBe(0);
    await evictDurableObject(stubFor(docId));
    expect(await serverText(docId)).toBe(text);
  });
});
