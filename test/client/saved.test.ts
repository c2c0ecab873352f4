// The "saved" acknowledgement against the real server: once whenSaved() resolves the change
// survives a SIGKILL of the whole server; while the server is down nothing claims to be saved.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncProvider } from "../../client/index";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("SyncProvider saved acknowledgements", () => {
  it("a change reported saved survives SIGKILL and restart", async () => {
    const docId = uniqueDocId("saved");
    const writer = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      backoff: { baseMs: 50, capMs: 500 },
    });
    await writer.whenSynced();
    expect(writer.hasUnsavedChanges).toBe(false);
    const text = writer.doc.getText("t");
    for (let i = 0; i < 200; i++) text.insert(text.length, `${i},`);
    expect(writer.hasUnsavedChanges).toBe(true);
    let savedEvents = 0;
    writer.on("saved", () => savedEvents++);
    await writer.whenSaved();
    expect(writer.hasUnsavedChanges).toBe(false);
    expect(savedEvents).toBe(1);
    const expected = text.toString();

    await server.kill(); // no graceful shutdown: wrangler and workerd die at once
    // While the server is down a new change is unsaved, and stays so.
    text.insert(0, "while-down,");
    expect(writer.hasUnsavedChanges).toBe(true);
    await server.restart();

    const reader = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc(), connect: false });
    // Connect the reader before the writer can come back, so it sees only what was on disk.
    writer.disconnect();
    void reader.connect();
    await reader.whenSynced();
    expect(reader.doc.getText("t").toString()).toBe(expected);

    // The writer reconnects; its unsaved change goes through and is acknowledged.
    void writer.connect();
    await writer.whenSaved();
    expect(writer.hasUnsavedChanges).toBe(false);
    expect(savedEvents).toBe(2);
    const check = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc() });
    await check.whenSynced();
    expect(check.doc.getText("t").toString()).toBe(`while-down,${expected}`);
    await Promise.all([writer.destroy(), reader.destroy(), check.destroy()]);
  });
});
