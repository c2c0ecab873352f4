// After the Durable Object is evicted with its sockets hibernated, the document is rebuilt
// from storage and the surviving sockets keep syncing.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { awarenessFrame, isAwarenessFor } from "../helpers/frames";
import { SyncedDoc, openSocket, uniqueDocId } from "../helpers/workerd-socket";

describe("hibernation", () => {
  it("keeps the document and the sockets across an eviction", async () => {
    const docId = uniqueDocId();
    const a = await SyncedDoc.open(docId);
    const b = await SyncedDoc.open(docId);
    a.socket.send(awarenessFrame(777, 1, { name: "a" }));
    a.doc.getText("t").insert(0, "before eviction");
    await b.waitForText("before eviction");

    await evictDurableObject(env.DOCUMENTS.get(env.DOCUMENTS.idFromName(docId)), {
      webSockets: "hibernate",
    });

    b.doc.getText("t").insert(b.doc.getText("t").length, ", after");
    await a.waitForText("before eviction, after");
    const c = await SyncedDoc.open(docId);
    await c.waitForText("before eviction, after");
    // Awareness was restored from the socket's attachment, not refilled by clients.
    const late = await openSocket(`/sync/${docId}`);
    await late.waitFor(isAwarenessFor(777));
    expect(a.socket.closeInfo).toBeNull();
  });
});
