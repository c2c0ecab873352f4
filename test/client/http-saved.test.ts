// The mobile background recipe: an app keeps a document in an offline store with SyncProvider;
// woken by the OS with no socket, it syncs over HTTP. Once syncOverHttp (given the store) has
// stored everything, a provider opened on that store does not claim unsaved changes; a change
// made while the request ran keeps the copy unsaved.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { MemoryStore, SyncProvider, syncOverHttp } from "../../client/index";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

const server = sharedServer("open");

/** A provider that made `text` offline (never connected) and was closed: the store says unsaved. */
async function offlineEdit(store: MemoryStore, docId: string, text: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  const provider = new SyncProvider({ url: server.wsUrl, docId, doc, store, connect: false });
  await (provider as unknown as { ready: Promise<void> }).ready;
  doc.getText("t").insert(0, text);
  expect(provider.hasUnsavedChanges).toBe(true);
  await provider.destroy();
  expect((await store.load(docId)).meta.unsaved).toBe(true);
  return doc;
}

/** hasUnsavedChanges of a provider opened on `store` (offline), once it has loaded the copy. */
async function unsavedOnReopen(store: MemoryStore, docId: string): Promise<boolean> {
  const doc = new Y.Doc();
  const provider = new SyncProvider({ url: server.wsUrl, docId, doc, store, connect: false });
  await (provider as unknown as { ready: Promise<void> }).ready;
  const unsaved = provider.hasUnsavedChanges;
  await provider.destroy();
  return unsaved;
}

describe("syncOverHttp and the saved state", () => {
  it("marks the stored copy saved once the server stored everything", async () => {
    const store = new MemoryStore();
    const docId = uniqueDocId("http-saved");
    const doc = await offlineEdit(store, docId, "written offline");
    const result = await syncOverHttp(doc, { url: server.url, docId, store });
    expect(result.sentBytes).toBeGreaterThan(0);
    expect((await store.load(docId)).meta).toMatchObject({ unsaved: false, epoch: result.epoch });
    expect(await unsavedOnReopen(store, docId)).toBe(false);
    // The server has it (a fresh client reads it back).
    const check = new Y.Doc();
    await syncOverHttp(check, { url: server.url, docId });
    expect(check.getText("t").toString()).toBe("written offline");
  });

  it("keeps it unsaved when the doc changed while the request ran", async () => {
    const store = new MemoryStore();
    const docId = uniqueDocId("http-saved-meanwhile");
    const doc = await offlineEdit(store, docId, "first");
    const fetchThenEdit: typeof fetch = async (input, init) => {
      const answer = globalThis.fetch(input, init);
      doc.getText("t").insert(0, "meanwhile ");
      return answer;
    };
    await syncOverHttp(doc, { url: server.url, docId, store, fetch: fetchThenEdit });
    expect((await store.load(docId)).meta.unsaved).toBe(true);
    expect(await unsavedOnReopen(store, docId)).toBe(true);
  });
});
