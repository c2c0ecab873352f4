// One-round-trip HTTP sync for background tasks (mobile apps woken by the OS, servers):
// POST /v1/docs/:id/sync with our state vector and pending update; apply what we lack.
import * as Y from "yjs";
import { decodeBase64url, encodeBase64url } from "../protocol/base64url";
import { SyncError } from "./errors";

export interface HttpSyncOptions {
  /** Base HTTP(S) URL of the server, e.g. "https://sync.example.com". */
  url: string;
  docId: string;
  token?: string | (() => string | Promise<string>);
  /** The server state vector returned by the previous sync: only what it lacks is sent. */
  serverStateVector?: Uint8Array;
  /** The epoch returned by the previous sync; a deleted-and-recreated document is refused. */
  epoch?: string;
  /** Injectable fetch (defaults to the global). */
  fetch?: typeof fetch;
}

export interface HttpSyncResult {
  /** Store these two and pass them to the next call. */
  serverStateVector: Uint8Array;
  epoch: string;
  /** Bytes sent and received as Yjs updates. */
  sentBytes: number;
  receivedBytes: number;
}

/** Origin used for updates applied from an HTTP sync. */
export const HTTP_SYNC_ORIGIN = Symbol("edgesync-http-sync");

/**
 * Syncs `doc` with the server in one request. Throws SyncError("deleted") when the document
 * was deleted since `epoch` (drop local state, then sync again without it), and
 * SyncError("closed") for other refusals (the HTTP status and server code in the message).
 */
export async function syncOverHttp(doc: Y.Doc, options: HttpSyncOptions): Promise<HttpSyncResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (!doFetch) throw new SyncError("closed", "no fetch implementation: pass options.fetch");
  const token = typeof options.token === "function" ? await options.token() : options.token;
  const update = Y.encodeStateAsUpdate(doc, options.serverStateVector);
  const body: Record<string, string> = {
    stateVector: encodeBase64url(Y.encodeStateVector(doc)),
    update: encodeBase64url(update),
  };
  if (options.epoch) body.epoch = options.epoch;
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await doFetch(
    `${options.url.replace(/\/$/, "")}/v1/docs/${encodeURIComponent(options.docId)}/sync`,
    {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    },
  );
  const json = (await res.json().catch(() => null)) as
    | { update: string; stateVector: string; epoch: string }
    | { error?: { code: string; message: string } }
    | null;
  if (!res.ok || !json || !("update" in json)) {
    const error = json && "error" in json ? json.error : undefined;
    if (res.status === 409)
      throw new SyncError("deleted", error?.message ?? "document was deleted and recreated");
    throw new SyncError(
      "closed",
      `HTTP ${res.status} ${error?.code ?? ""}: ${error?.message ?? "sync failed"}`,
    );
  }
  const received = decodeBase64url(json.update);
  Y.applyUpdate(doc, received, HTTP_SYNC_ORIGIN);
  return {
    serverStateVector: decodeBase64url(json.stateVector),
    epoch: json.epoch,
    sentBytes: update.length,
    receivedBytes: received.length,
  };
}
