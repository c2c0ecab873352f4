// Two sockets on one document converge through the real Worker and Durable Object.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { MessageType, SyncType } from "../../protocol/messages";
import { SyncedDoc, openSocket, uniqueDocId } from "../helpers/workerd-socket";

describe("sync", () => {
  it("greets a new socket with sync step 1", async () => {
    const socket = await openSocket(`/sync/${uniqueDocId()}`);
    const first = await socket.waitFor(() => true);
    expect([first[0], first[1]]).toEqual([MessageType.Sync, SyncType.Step1]);
  });

  it("converges two sockets editing concurrently", async () => {
    const docId = uniqueDocId();
    const a = await SyncedDoc.open(docId);
    const b = await SyncedDoc.open(docId);
    a.doc.getText("t").insert(0, "hello");
    b.doc.getText("t").insert(0, "world ");
    const expected = (() => {
      const merged = new Y.Doc();
      Y.applyUpdate(merged, Y.encodeStateAsUpdate(a.doc));
      Y.applyUpdate(merged, Y.encodeStateAsUpdate(b.doc));
      return merged.getText("t").toString();
    })();
    await a.waitForText(expected);
    await b.waitForText(expected);
    expect(expected).toContain("hello");
    expect(expected).toContain("world ");
  });

  it("sends a late joiner the whole document in step 2", async () => {
    const docId = uniqueDocId();
    const a = await SyncedDoc.open(docId);
    a.doc.getText("t").insert(0, "persisted text");
    await a.socket.waitFor(() => false, 200).catch(() => undefined);
    const c = await SyncedDoc.open(docId);
    await c.waitForText("persisted text");
  });
});
