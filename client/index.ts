// The edgesync client SDK (`edgesync/client`): the provider, offline stores and shared
// protocol constants. Importing it touches no browser globals (safe in React Native and Node).
export {
  SyncProvider,
  type SyncProviderOptions,
  type ProviderStatus,
  type ProviderEvents,
} from "./provider";
export { SyncClient, type SyncClientOptions, type SyncClientProviderOptions } from "./sync-client";
export { ProgressTracker, type SyncProgress } from "./progress";
export { CONNECT_TIMEOUT_MS } from "./link";
export { COALESCE_WINDOW_MS, SAVED_ACK_DELAY_MS } from "./outbox";
export { PING_INTERVAL_MS, PONG_TIMEOUT_MS } from "./keep-alive";
export { SyncError, type SyncErrorCode } from "./errors";
export {
  syncOverHttp,
  HTTP_SYNC_ORIGIN,
  type HttpSyncOptions,
  type HttpSyncResult,
  type TokenSource,
} from "./http-sync";
export {
  syncManyOverHttp,
  BATCH_MAX_DOCS,
  BATCH_MAX_BYTES,
  type HttpSyncDoc,
  type HttpSyncManyOptions,
  type HttpSyncManyResult,
} from "./http-sync-many";
export {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  BACKOFF_JITTER,
  backoffDelay,
  type BackoffOptions,
} from "./backoff";
export { LOCAL_COMPACT_UPDATES } from "./local-copy";
export { MemoryStore } from "./stores/memory";
export { KeyValueStore, type KeyValueStorage, type KeyValueStoreOptions } from "./stores/key-value";
export { IndexedDBStore, type IndexedDBStoreOptions } from "./stores/indexeddb";
export type {
  OfflineStore,
  StoreMeta,
  StoredDoc,
  Clock,
  WebSocketLike,
  WebSocketConstructor,
} from "./types";
export { CloseCode, isPermanentClose, isTransientClose } from "../protocol/close-codes";
export {
  createVersion,
  listVersions,
  restoreDocument,
  revertChanges,
  type HistoryOptions,
  type RestoreResult,
  type Version,
} from "./history";
