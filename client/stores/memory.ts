// An in-memory OfflineStore: for tests, and for apps that want the provider's API without
// persistence across restarts.
import type { OfflineStore, StoreMeta, StoredDoc } from "../types";

export class MemoryStore implements OfflineStore {
  private readonly docs = new Map<string, StoredDoc>();

  private entry(docId: string): StoredDoc {
    let doc = this.docs.get(docId);
    if (!doc) this.docs.set(docId, (doc = { updates: [], meta: {} }));
    return doc;
  }

  async load(docId: string): Promise<StoredDoc> {
    const doc = this.entry(docId);
    return { updates: [...doc.updates], meta: { ...doc.meta } };
  }

  async append(docId: string, update: Uint8Array): Promise<void> {
    this.entry(docId).updates.push(update.slice());
  }

  async replace(docId: string, merged: Uint8Array): Promise<void> {
    this.entry(docId).updates = [merged.slice()];
  }

  async setMeta(docId: string, meta: StoreMeta): Promise<void> {
    const doc = this.entry(docId);
    doc.meta = { ...doc.meta, ...meta };
  }

  async clear(docId: string): Promise<void> {
    this.docs.delete(docId);
  }
}
