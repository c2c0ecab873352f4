// What the Worker and a document's Durable Object agree on for history (docs/history.md): a point
// in the past, the versions and checkpoints listed, the activity entries, the restore and revert
// requests, and the RPC methods that carry them.
import type { RpcResult } from "./results";

/** A moment of the document: a version's (or checkpoint's) id, or a time in ms since the epoch. */
export type HistoryPoint = { version: string } | { at: number };

/** A named version (kind "version") or a checkpoint taken by compaction or a load ("checkpoint"). */
export interface VersionEntry {
  id: string;
  kind: "version" | "checkpoint";
  /** The version's name; null for a checkpoint. */
  name: string | null;
  /** When it was taken (ms since the epoch). */
  ts: number;
  /** Who named it; null for a checkpoint. */
  actor: string | null;
  /** The last stored update it includes. */
  seq: number;
  /** Bytes of its encoded state. */
  bytes: number;
}

/** One stored update as activity: who changed the document, when, how, and which root types. */
export interface HistoryActivity {
  seq: number;
  ts: number;
  actor: string;
  /** socket, rest, rpc, restore or revert (events.ts's WriteOrigin). */
  origin: string;
  bytes: number;
  /** Names of the root types the update touched (best effort: "?" when one could not be told). */
  roots: string[];
}

/** A page and where the next one starts (null: the last page). */
export type Page<K extends string, T> = { [P in K]: T[] } & { cursor: string | null };

export type VersionsReply = Page<"versions", VersionEntry>;
export type HistoryActivityReply = Page<"activity", HistoryActivity>;
export type VersionReply = { version: VersionEntry };
/** A restore or revert: whether the document changed, and the stored update's seq if it did. */
export type RestoreReply = { changed: boolean; seq: number | null; stateVector: Uint8Array };

export interface VersionsQuery {
  cursor: string | null;
  limit: number;
  /** Only named versions (true), or checkpoints too (false). */
  named: boolean;
}

export interface ActivityQuery {
  cursor: string | null;
  limit: number;
  actor: string | null;
  /** Time range, inclusive, ms since the epoch. */
  from: number | null;
  to: number | null;
}

/** Which changes a revert removes: `actor`'s, stored between `from` and `to` (ms, inclusive). */
export interface RevertRequest {
  actor: string;
  from: number;
  to: number;
}

/** The history methods the Worker calls on a document's Durable Object. */
export interface HistoryRpc {
  /** The document at `point` as one update (what `stateVector` lacks of it, when given). */
  getUpdateAt(
    docId: string,
    point: HistoryPoint,
    stateVector: Uint8Array | null,
  ): Promise<RpcResult<{ update: Uint8Array }>>;
  getJsonAt(
    docId: string,
    point: HistoryPoint,
  ): Promise<RpcResult<{ json: Record<string, unknown> }>>;
  versions(docId: string, query: VersionsQuery): Promise<RpcResult<VersionsReply>>;
  createVersion(docId: string, name: string, actor: string): Promise<RpcResult<VersionReply>>;
  historyActivity(docId: string, query: ActivityQuery): Promise<RpcResult<HistoryActivityReply>>;
  restore(docId: string, point: HistoryPoint, actor: string): Promise<RpcResult<RestoreReply>>;
  revert(docId: string, request: RevertRequest, actor: string): Promise<RpcResult<RestoreReply>>;
}

/** Longest version name, in characters. */
export const MAX_VERSION_NAME = 200;
/** Most entries one page of versions or activity holds. */
export const MAX_HISTORY_PAGE = 500;
