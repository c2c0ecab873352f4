// An OfflineStore over any async string key-value storage with getItem/setItem/removeItem:
// React Native's AsyncStorage, MMKV wrappers, localStorage. One key per update, so a keystroke
// costs one small write; compaction replaces the log with one merged update.
import { fromBase64, toBase64 } from "../base64";
import type { OfflineStore, StoreMeta, StoredDoc } from "../types";

/** The storage contract (AsyncStorage's shape; synchronous implementations work too). */
export interface KeyValueStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): unknown;
  removeItem(key: string): unknown;
}

export interface KeyValueStoreOptions {
  /** Prefix for every key this store writes (default "edgesync"). */
  prefix?: string;
}

interface DocState {
  /** Sequence number of the oldest live update key. */
  first: number;
  /** Sequence number the next update is written under. */
  next: number;
  meta: StoreMeta;
}

/** What the meta key holds: the log's start plus the document's StoreMeta. */
interface MetaRecord extends StoreMeta {
  first: number;
}

export class KeyValueStore implements OfflineStore {
  private readonly prefix: string;
  private readonly docs = new Map<string, DocState>();
  /** Operations run one at a time, in call order: the log's keys must stay contiguous. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: KeyValueStorage,
    options: KeyValueStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "edgesync";
  }

  private key(docId: string, suffix: string): string {
    return `${this.prefix}:${docId}:${suffix}`;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Reads the meta key, then probes update keys upwards from `first` until one is missing.
   * Appends never write the meta key, so a crash mid-append loses at most that one update.
   */
  private async read(docId: string): Promise<{ state: DocState; updates: Uint8Array[] }> {
    const raw = await this.storage.getItem(this.key(docId, "meta"));
    const record: MetaRecord = raw ? (JSON.parse(raw) as MetaRecord) : { first: 0 };
    const { first, ...meta } = record;
    const updates: Uint8Array[] = [];
    let next = first;
    for (;;) {
      const value = await this.storage.getItem(this.key(docId, `u:${next}`));
      if (value === null || value === undefined) break;
      updates.push(fromBase64(value));
      next++;
    }
    const state: DocState = { first, next, meta };
    this.docs.set(docId, state);
    return { state, updates };
  }

  private async state(docId: string): Promise<DocState> {
    return this.docs.get(docId) ?? (await this.read(docId)).state;
  }

  private async writeMeta(docId: string, state: DocState): Promise<void> {
    const record: MetaRecord = { ...state.meta, first: state.first };
    await this.storage.setItem(this.key(docId, "meta"), JSON.stringify(record));
  }

  load(docId: string): Promise<StoredDoc> {
    return this.serial(async () => {
      const { state, updates } = await this.read(docId);
      return { updates, meta: { ...state.meta } };
    });
  }

  append(docId: string, update: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const state = await this.state(docId);
      await this.storage.setItem(this.key(docId, `u:${state.next}`), toBase64(update));
      state.next++;
    });
  }

  replace(docId: string, merged: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const state = await this.state(docId);
      const { first: oldFirst, next: oldNext } = state;
      // New entry first, then move the log's start past the old entries, then delete them:
      // a crash at any point leaves a loadable log (duplicates are harmless to Yjs).
      await this.storage.setItem(this.key(docId, `u:${oldNext}`), toBase64(merged));
      state.first = oldNext;
      state.next = oldNext + 1;
      await this.writeMeta(docId, state);
      for (let seq = oldFirst; seq < oldNext; seq++)
        await this.storage.removeItem(this.key(docId, `u:${seq}`));
    });
  }

  setMeta(docId: string, meta: StoreMeta): Promise<void> {
    return this.serial(async () => {
      const state = await this.state(docId);
      state.meta = { ...state.meta, ...meta };
      await this.writeMeta(docId, state);
    });
  }

  clear(docId: string): Promise<void> {
    return this.serial(async () => {
      const state = await this.state(docId);
      // Oldest first, so an interrupted clear never leaves a gap-free tail that loads. The meta
      // key is kept with `first` past every used number: sequence numbers are never reused, so
      // a key orphaned by an interrupted compaction can never be read back as live.
      for (let seq = state.first; seq < state.next; seq++)
        await this.storage.removeItem(this.key(docId, `u:${seq}`));
      state.first = state.next;
      state.meta = {};
      await this.writeMeta(docId, state);
    });
  }
}
