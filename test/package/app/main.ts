// A consumer app of the packed package (test/package/pack.test.ts copies it into a fresh app
// that installs the tarball with its own yjs). Type-checked there under NodeNext, Node16 and
// Bundler, then run against the real server: writes through a KeyValueStore, reloads the
// store offline into a new Y.Doc, and loads the document on a fresh device from the server.
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import {
  KeyValueStore,
  MemoryStore,
  SyncProvider,
  type KeyValueStorage,
  type ProviderStatus,
} from "edgesync/client";
import { createToken, type Role } from "edgesync/tokens";

export const TEXT = "written by an app with its own yjs";

export interface RunResult {
  /** The text a new Y.Doc gets from the offline store alone. */
  reloadedFromStore: string;
  /** The text a fresh device gets from the server. */
  fromServer: string;
  statuses: ProviderStatus[];
}

export async function run(url: string, secret: string, docId: string): Promise<RunResult> {
  const role: Role = "write";
  const token = () => createToken(secret, { doc: docId, role, ttlSeconds: 600 });
  const entries = new Map<string, string>();
  const storage: KeyValueStorage = {
    getItem: (key) => entries.get(key),
    setItem: (key, value) => entries.set(key, value),
    removeItem: (key) => entries.delete(key),
  };

  const doc = new Y.Doc();
  const writer = new SyncProvider({
    url,
    docId,
    doc,
    token,
    store: new KeyValueStore(storage),
    awareness: new Awareness(doc),
  });
  const statuses: ProviderStatus[] = [];
  writer.on("status", (status) => statuses.push(status));
  await writer.whenSynced();
  doc.getText("text").insert(0, TEXT);
  await writer.whenSaved();
  await writer.destroy();
  doc.destroy(); // also stops the Awareness' timer

  const reloaded = new Y.Doc();
  const offline = new SyncProvider({
    url,
    docId,
    doc: reloaded,
    store: new KeyValueStore(storage),
    connect: false,
  });
  await offline.whenLoaded();
  const reloadedFromStore = reloaded.getText("text").toString();
  await offline.destroy();

  const fresh = new Y.Doc();
  const reader = new SyncProvider({ url, docId, doc: fresh, token, store: new MemoryStore() });
  await reader.whenSynced();
  const fromServer = fresh.getText("text").toString();
  await reader.destroy();
  return { reloadedFromStore, fromServer, statuses };
}

/** Never called: fails to compile if the package's types resolved to `any`. */
export function typesAreReal(doc: Y.Doc): void {
  // @ts-expect-error docId is a string
  new SyncProvider({ url: "ws://127.0.0.1:9/sync", docId: 42, doc });
  // @ts-expect-error roles are read, write and admin
  void createToken("secret", { doc: "d", role: "owner" });
}
