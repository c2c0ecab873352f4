// An OfflineStore in the browser's IndexedDB: one record per update keyed [docId, seq], one
// meta record per document. `indexedDB` is looked up on first use, never at import.
import type { OfflineStore, StoreMeta, StoredDoc } from "../types";

// Minimal IndexedDB typings: the SDK compiles without the DOM library (React Native, Node).
interface IdbRequest<T = unknown> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}
interface IdbObjectStore {
  get(key: unknown): IdbRequest<unknown>;
  getAll(range: unknown): IdbRequest<unknown[]>;
  getAllKeys(range: unknown): IdbRequest<unknown[]>;
  put(value: unknown, key?: unknown): IdbRequest;
  delete(keyOrRange: unknown): IdbRequest;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(stores: string[], mode: "readonly" | "readwrite"): IdbTransaction;
  close(): void;
  onversionchange: (() => void) | null;
}
interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
}
interface IdbKeyRangeStatic {
  bound(lower: unknown, upper: unknown): unknown;
}

const UPDATES = "updates";
const META = "meta";
const SCHEMA_VERSION = 1;

export interface IndexedDBStoreOptions {
  /** Database name (default "edgesync"). */
  name?: string;
  /** An IndexedDB factory; defaults to `globalThis.indexedDB`. */
  indexedDB?: unknown;
}

export class IndexedDBStore implements OfflineStore {
  private db: Promise<IdbDatabase> | null = null;
  /** Next sequence number per document, learned on load. */
  private readonly next = new Map<string, number>();

  /** Operations run one at a time, in call order (a replace must not overtake an append). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: IndexedDBStoreOptions = {}) {}

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private open(): Promise<IdbDatabase> {
    this.db ??= new Promise<IdbDatabase>((resolve, reject) => {
      const factory = (this.options.indexedDB ??
        (globalThis as { indexedDB?: unknown }).indexedDB) as IdbFactory | undefined;
      if (!factory) return reject(new Error("IndexedDB is not available in this environment"));
      const request = factory.open(this.options.name ?? "edgesync", SCHEMA_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(UPDATES)) db.createObjectStore(UPDATES);
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the schema must not be blocked by us.
        db.onversionchange = () => {
          db.close();
          this.db = null;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("IndexedDB open blocked by another tab"));
    });
    this.db.catch(() => (this.db = null));
    return this.db;
  }

  private range(docId: string): unknown {
    const keyRange = (globalThis as { IDBKeyRange?: IdbKeyRangeStatic }).IDBKeyRange;
    if (!keyRange)
      throw new Error("IndexedDB is not available in this environment (no IDBKeyRange)");
    return keyRange.bound([docId, 0], [docId, Infinity]);
  }

  /** Runs `body` in one transaction and resolves when it commits. */
  private async run<T>(
    mode: "readonly" | "readwrite",
    body: (updates: IdbObjectStore, meta: IdbObjectStore) => () => T,
  ): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction([UPDATES, META], mode);
      const read = body(tx.objectStore(UPDATES), tx.objectStore(META));
      tx.oncomplete = () => resolve(read());
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  }

  load(docId: string): Promise<StoredDoc> {
    return this.serial(() => this.read(docId));
  }

  private async read(docId: string): Promise<StoredDoc> {
    const range = this.range(docId);
    const { keys, values, meta } = await this.run("readonly", (updates, metaStore) => {
      const keys = updates.getAllKeys(range);
      const values = updates.getAll(range);
      const meta = metaStore.get(docId);
      return () => ({ keys: keys.result, values: values.result, meta: meta.result });
    });
    const last = keys.length ? (keys[keys.length - 1] as [string, number])[1] : -1;
    this.next.set(docId, Math.max(this.next.get(docId) ?? 0, last + 1));
    return {
      updates: values.map((v) => new Uint8Array(v as ArrayBuffer)),
      meta: { ...((meta as StoreMeta) ?? {}) },
    };
  }

  private async seq(docId: string): Promise<number> {
    if (!this.next.has(docId)) await this.read(docId);
    const seq = this.next.get(docId)!;
    this.next.set(docId, seq + 1);
    return seq;
  }

  append(docId: string, update: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const seq = await this.seq(docId);
      // Store a tight ArrayBuffer copy: `update` may be a view into a larger buffer.
      await this.run(
        "readwrite",
        (updates) => (updates.put(update.slice().buffer, [docId, seq]), () => undefined),
      );
    });
  }

  replace(docId: string, merged: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const seq = await this.seq(docId);
      const range = this.range(docId);
      // One transaction: delete the old entries and write the merged one, or neither.
      await this.run("readwrite", (updates) => {
        updates.delete(range);
        updates.put(merged.slice().buffer, [docId, seq]);
        return () => undefined;
      });
    });
  }

  setMeta(docId: string, meta: StoreMeta): Promise<void> {
    return this.serial(async () => {
      await this.run("readwrite", (_updates, metaStore) => {
        const current = metaStore.get(docId);
        current.onsuccess = () =>
          metaStore.put({ ...((current.result as StoreMeta) ?? {}), ...meta }, docId);
        return () => undefined;
      });
    });
  }

  clear(docId: string): Promise<void> {
    return this.serial(async () => {
      const range = this.range(docId);
      await this.run("readwrite", (updates, metaStore) => {
        updates.delete(range);
        metaStore.delete(docId);
        return () => undefined;
      });
    });
  }
}
