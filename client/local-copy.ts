// The provider's side of an OfflineStore: loads the stored copy into the Y.Doc, appends every
// update, compacts the log now and then, and reports (once) if the store fails.
import * as Y from "yjs";
import { SyncError } from "./errors";
import type { OfflineStore, StoreMeta } from "./types";

/** Stored updates beyond which the log is replaced by one merged update. */
export const LOCAL_COMPACT_UPDATES = 500;

export class LocalCopy {
  /** Transaction origin of updates applied from the store (not written back, not sent). */
  static readonly ORIGIN = Symbol("edgesync-store");
  private appended = 0;
  private last: Promise<unknown> = Promise.resolve();
  private reported = false;

  constructor(
    private readonly store: OfflineStore,
    private readonly docId: string,
    private readonly doc: Y.Doc,
    private readonly onError: (error: SyncError) => void,
  ) {}

  /** Applies the stored copy to the doc; returns its metadata. A failed load counts as empty. */
  async load(): Promise<StoreMeta> {
    let stored;
    try {
      stored = await this.store.load(this.docId);
    } catch (err) {
      this.report(err);
      return {};
    }
    if (stored.updates.length > 0) {
      // Merging first makes this one transaction and one doc update event.
      Y.applyUpdate(this.doc, Y.mergeUpdates(stored.updates), LocalCopy.ORIGIN);
    }
    if (stored.updates.length > LOCAL_COMPACT_UPDATES) this.compact();
    return stored.meta;
  }

  append(update: Uint8Array): void {
    this.track(this.store.append(this.docId, update));
    if (++this.appended >= LOCAL_COMPACT_UPDATES) this.compact();
  }

  private compact(): void {
    this.appended = 0;
    this.track(this.store.replace(this.docId, Y.encodeStateAsUpdate(this.doc)));
  }

  setUnsaved(unsaved: boolean): void {
    this.track(this.store.setMeta(this.docId, { unsaved }));
  }

  setEpoch(epoch: string): void {
    this.track(this.store.setMeta(this.docId, { epoch }));
  }

  clear(): void {
    this.track(this.store.clear(this.docId));
  }

  /** Resolves once every write issued so far has finished (stores apply calls in order). */
  settled(): Promise<void> {
    return this.last.then(() => undefined);
  }

  private track(op: Promise<unknown>): void {
    this.last = op.catch((err) => this.report(err));
  }

  private report(err: unknown): void {
    if (this.reported) return;
    this.reported = true;
    this.onError(
      new SyncError("storage", `offline store failed: ${(err as Error)?.message ?? err}`),
    );
  }
}
