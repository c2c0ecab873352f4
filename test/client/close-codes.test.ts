// How SyncProvider honours the server's close codes, against the real server: a deleted
// document (4404, live or via a stale epoch) drops the local copy and never resurrects it;
// a permanent refusal (4413) stops with an error instead of reconnecting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  CloseCode,
  KeyValueStore,
  MemoryStore,
  SyncProvider,
  type SyncError,
  type WebSocketConstructor,
} from "../../client/index";
import { countingWebSocket, memoryStorage, serverText } from "../helpers/client-server";
import { eventually, uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** Document size cap for this server, small enough to hit with one paste. */
const MAX_DOC_BYTES = 64 * 1024;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ vars: { MAX_DOC_BYTES: String(MAX_DOC_BYTES) } });
});
afterAll(async () => {
  await server?.dispose();
});

const text = (p: SyncProvider) => p.doc.getText("t").toString();
const deleteDoc = async (docId: string) => {
  const res = await fetch(`${server.url}/v1/docs/${docId}`, { method: "DELETE" });
  expect(res.status).toBe(200);
};

describe("SyncProvider close codes", () => {
  it("drops the local copy when the document is deleted while connected (4404)", async () => {
    const docId = uniqueDocId("deleted");
    const store = new MemoryStore();
    const a = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc(), store });
    await a.whenSynced();
    a.doc.getText("t").insert(0, "old content");
    await a.whenSaved();
    const errors: SyncError[] = [];
    a.on("error", (e) => errors.push(e));
    const reset = new Promise<void>((resolve) => a.on("reset", resolve));

    await deleteDoc(docId);
    await reset;
    expect(a.status).toBe("disconnected");
    expect(errors.map((e) => [e.code, e.closeCode])).toEqual([
      ["deleted", CloseCode.DocumentDeleted],
    ]);
    await a.destroy();
    expect((await store.load(docId)).updates).toEqual([]);
    // Further edits to the old doc go nowhere, and the recreated document starts empty.
    a.doc.getText("t").insert(0, "late ");
    expect(await serverText(server.wsUrl, docId)).toBe("");
  });

  it("refuses to merge a stored copy from before the document was deleted and recreated", async () => {
    const docId = uniqueDocId("stale");
    const device = memoryStorage();
    const a = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new KeyValueStore(device),
    });
    await a.whenSynced();
    a.doc.getText("t").insert(0, "first incarnation");
    await a.whenSaved();
    await eventually(
      () => [...device.map.values()].some((v) => v.includes('"epoch"')),
      () => "epoch not stored",
    );
    await a.destroy(); // the app is closed; its storage remembers the epoch

    await deleteDoc(docId);
    const b = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc() });
    await b.whenSynced();
    b.doc.getText("t").insert(0, "second incarnation");
    await b.whenSaved();

    const a2 = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new KeyValueStore(device),
    });
    await new Promise<void>((resolve) => a2.on("reset", resolve));
    await a2.destroy();
    expect(await serverText(server.wsUrl, docId)).toBe("second incarnation");
    expect(text(b)).toBe("second incarnation");
    // The device's copy is gone: a new session starts empty and syncs the new incarnation.
    const a3 = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new KeyValueStore(device),
      connect: false,
    });
    await a3.whenLoaded();
    expect(text(a3)).toBe("");
    void a3.connect();
    await a3.whenSynced();
    expect(text(a3)).toBe("second incarnation");
    await Promise.all([a3.destroy(), b.destroy()]);
  });

  it("stops with an error and does not reconnect after a permanent close (4413)", async () => {
    const docId = uniqueDocId("too-large");
    const { WebSocket, counter } = countingWebSocket<WebSocketConstructor>();
    const a = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      WebSocket,
      backoff: { baseMs: 10, capMs: 50 },
    });
    await a.whenSynced();
    const failed = new Promise<SyncError>((resolve) => a.on("error", resolve));
    a.doc.getText("t").insert(0, "x".repeat(MAX_DOC_BYTES * 2));
    const saved = a.whenSaved();
    const error = await failed;
    expect([error.code, error.closeCode]).toEqual(["closed", CloseCode.DocumentTooLarge]);
    await expect(saved).rejects.toMatchObject({ code: "closed" });
    expect(a.status).toBe("disconnected");
    expect(a.hasUnsavedChanges).toBe(true); // the refused change is not claimed as saved
    // With a 10–50 ms backoff, a reconnect loop would have opened more sockets by the time
    // another full round trip to the server has completed.
    expect(await serverText(server.wsUrl, docId)).toBe("");
    expect(counter.opened).toBe(1);
    await a.destroy();
  });
});
