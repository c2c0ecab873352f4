// SyncProvider offline-first against the real server: edits made while the server is down
// survive in a KeyValueStore across an "app restart" and merge with concurrent edits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  KeyValueStore,
  MemoryStore,
  SyncProvider,
  type WebSocketConstructor,
} from "../../client/index";
import { countingWebSocket, memoryStorage } from "../helpers/client-server";
import { eventually, uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** Small backoff so reconnecting after the restart does not dominate the test's run time. */
const BACKOFF = { baseMs: 50, capMs: 500 };

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const text = (p: SyncProvider) => p.doc.getText("t").toString();

describe("SyncProvider offline", () => {
  it("keeps edits made while the server is down across an app restart and merges them", async () => {
    const docId = uniqueDocId("offline");
    const device = memoryStorage();
    const a = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new KeyValueStore(device),
      backoff: BACKOFF,
    });
    const b = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new MemoryStore(),
      backoff: BACKOFF,
    });
    await Promise.all([a.whenSynced(), b.whenSynced()]);
    a.doc.getText("t").insert(0, "base.");
    await a.whenSaved();
    await eventually(
      () => text(b) === "base.",
      () => `b=${text(b)}`,
    );

    await server.kill();
    await eventually(
      () => a.status !== "connected" && b.status !== "connected",
      () => `a=${a.status} b=${b.status}`,
    );
    a.doc.getText("t").insert(5, " offline-A.");
    expect(a.hasUnsavedChanges).toBe(true);
    // The edit goes to the device's storage as it happens (AsyncStorage-like writes take a few
    // microtasks here); a provider loading that storage from scratch sees it.
    await eventually(
      () => [...device.map.values()].some((v) => v.includes('"unsaved":true')),
      () => "no unsaved marker stored",
    );
    const probe = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new KeyValueStore(device),
      connect: false,
    });
    await probe.whenLoaded();
    expect(text(probe)).toBe("base. offline-A.");
    expect(probe.hasUnsavedChanges).toBe(true); // remembered across the restart
    await probe.destroy();
    await a.destroy(); // the app is gone

    // Meanwhile the server comes back and another client edits.
    await server.restart();
    await b.whenSynced();
    b.doc.getText("t").insert(0, "B-meanwhile. ");
    await b.whenSaved();

    // The app starts again with the same storage, offline first.
    const a2 = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      store: new KeyValueStore(device),
      connect: false,
    });
    await a2.whenLoaded();
    expect(text(a2)).toBe("base. offline-A.");
    void a2.connect();
    await a2.whenSynced();
    await a2.whenSaved();
    expect(a2.hasUnsavedChanges).toBe(false);
    const expected = "B-meanwhile. base. offline-A.";
    await eventually(
      () => text(a2) === expected && text(b) === expected,
      () => `a2=${text(a2)} b=${text(b)}`,
    );

    // The server holds the merge: a fresh client with no store gets it from the server alone.
    const fresh = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc() });
    await fresh.whenSynced();
    expect(text(fresh)).toBe(expected);
    await Promise.all([a2.destroy(), b.destroy(), fresh.destroy()]);
  });

  it("sends only what the other side lacks when reconnecting (state vectors both ways)", async () => {
    const docId = uniqueDocId("sv");
    const store = new MemoryStore();
    const a = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc(), store });
    await a.whenSynced();
    a.doc.getText("t").insert(0, "x".repeat(20_000));
    await a.whenSaved();
    await a.destroy();
    // A new session from the store: the server already has all 20,000 characters, so the
    // client's sync step 2 must be tiny, not the whole document again.
    const { WebSocket, counter } = countingWebSocket<WebSocketConstructor>();
    const a2 = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc(), store, WebSocket });
    await a2.whenSynced();
    await a2.whenSaved();
    expect(text(a2).length).toBe(20_000);
    expect(Math.max(...counter.sizes)).toBeLessThan(100);
    await a2.destroy();
  });
});
