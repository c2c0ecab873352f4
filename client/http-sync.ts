// One-round-trip HTTP sync for background tasks (mobile apps woken by the OS, servers):
// POST /v1/docs/:id/sync with our state vector and pending update; apply what we lack.
// syncManyOverHttp does the same for many documents per request (POST /v1/sync).
import * as Y from "yjs";
import { decodeBase64url, encodeBase64url } from "../protocol/base64url";
import { SyncError } from "./errors";
import type { OfflineStore } from "./types";

/** A token, or a function that returns one (called once per sync). */
export type TokenSource = string | (() => string | Promise<string>);

export interface HttpSyncOptions {
  /** Base HTTP(S) URL of the server, e.g. "https://sync.example.com". */
  url: string;
  docId: string;
  token?: TokenSource;
  /** The server state vector returned by the previous sync: only what it lacks is sent. */
  serverStateVector?: Uint8Array;
  /** The epoch returned by the previous sync; a deleted-and-recreated document is refused. */
  epoch?: string;
  /** Injectable fetch (defaults to the global). */
  fetch?: typeof fetch;
  /**
   * The offline store a SyncProvider keeps this document in. The answer is appended to it, and
   * when the doc did not change while the request ran (so the server stored all it holds), the
   * stored copy is marked saved: a provider opened on it later starts with hasUnsavedChanges
   * false instead of waiting for a socket's saved ack.
   */
  store?: OfflineStore;
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

/** What the server answers for one synced document. */
export interface SyncAnswer {
  update: string;
  stateVector: string;
  epoch: string;
  /** A page of a paged sync (POST /v1/docs/:id/sync with `paged`): ask again for the next. */
  more?: boolean;
}
type ErrorAnswer = { error?: { code: string; message: string } };

/** The request body for one document: its state vector, what the server lacks, its epoch. */
export function syncRequest(
  doc: Y.Doc,
  serverStateVector: Uint8Array | undefined,
  epoch: string | undefined,
): { body: Record<string, string>; sentBytes: number } {
  const update = Y.encodeStateAsUpdate(doc, serverStateVector);
  const body: Record<string, string> = {
    stateVector: encodeBase64url(Y.encodeStateVector(doc)),
    update: encodeBase64url(update),
  };
  if (epoch) body.epoch = epoch;
  return { body, sentBytes: update.length };
}

/** Applies the server's answer to `doc`. */
export function applyAnswer(doc: Y.Doc, answer: SyncAnswer, sentBytes: number): HttpSyncResult {
  const received = decodeBase64url(answer.update);
  Y.applyUpdate(doc, received, HTTP_SYNC_ORIGIN);
  return {
    serverStateVector: decodeBase64url(answer.stateVector),
    epoch: answer.epoch,
    sentBytes,
    receivedBytes: received.length,
  };
}

/** A refusal as the SDK's error: 409 → "deleted", anything else → "closed". */
export function refusal(status: number, error: ErrorAnswer["error"]): SyncError {
  if (status === 409)
    return new SyncError("deleted", error?.message ?? "document was deleted and recreated");
  const message = `HTTP ${status} ${error?.code ?? ""}: ${error?.message ?? "sync failed"}`;
  return new SyncError("closed", message);
}

/** A token function that threw, as the SDK's error. */
export function tokenError(err: unknown): SyncError {
  return new SyncError("token", `the token function failed: ${(err as Error)?.message ?? err}`);
}

/** `err` as the SDK's error: a SyncError as is, anything else as "closed". */
export const asSyncError = (err: unknown): SyncError =>
  err instanceof SyncError ? err : new SyncError("closed", String(err));

/** The token of `token`; a token function that throws rejects with SyncError("token"). */
export async function resolveToken(token: TokenSource | undefined): Promise<string | undefined> {
  try {
    return typeof token === "function" ? await token() : token;
  } catch (err) {
    throw tokenError(err);
  }
}

/**
 * POSTs `body` as JSON; resolves to the status and the parsed answer (null if not JSON). A request
 * that gets no answer at all (offline, DNS, a refused connection: fetch's TypeError) rejects with
 * SyncError("closed"), the shape every other failure of HTTP sync has.
 */
export async function postJson(
  doFetch: typeof fetch | undefined,
  url: string,
  token: string | undefined,
  body: unknown,
): Promise<{ status: number; ok: boolean; json: unknown }> {
  if (!doFetch) throw new SyncError("closed", "no fetch implementation: pass options.fetch");
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const res = await doFetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: res.status, ok: res.ok, json: await res.json().catch(() => null) };
  } catch (err) {
    const cause = (err as Error & { cause?: Error })?.cause?.message;
    const why = `${(err as Error)?.message ?? err}${cause ? ` (${cause})` : ""}`;
    throw new SyncError("closed", `no answer from ${url}: ${why}`);
  }
}

export const baseUrl = (url: string) => url.replace(/\/$/, "");

/**
 * Syncs `doc` with the server in one request. Rejects only with SyncError, the codes
 * syncManyOverHttp reports per document: "deleted" when the document was deleted since `epoch`
 * (drop local state, then sync again without it), "token" when the token function throws, and
 * "closed" for other refusals (the HTTP status and server code in the message) and for a request
 * that got no answer (offline).
 */
export async function syncOverHttp(doc: Y.Doc, options: HttpSyncOptions): Promise<HttpSyncResult> {
  const token = await resolveToken(options.token);
  const { body, sentBytes } = syncRequest(doc, options.serverStateVector, options.epoch);
  const url = `${baseUrl(options.url)}/v1/docs/${encodeURIComponent(options.docId)}/sync`;
  // A change made while the request runs is not in it: the stored copy stays unsaved then.
  let changedMeanwhile = false;
  const onUpdate = (_: Uint8Array, origin: unknown) => {
    if (origin !== HTTP_SYNC_ORIGIN) changedMeanwhile = true;
  };
  doc.on("update", onUpdate);
  try {
    // A large answer comes in pages (each a part that applies on its own): the next is what the
    // state vector after it lacks, so a sync cut off half-way keeps the pages it applied.
    let request: Record<string, unknown> = { ...body, paged: true };
    let received = 0;
    for (;;) {
      const res = await postJson(options.fetch ?? globalThis.fetch, url, token, request);
      const json = res.json as SyncAnswer | ErrorAnswer | null;
      if (!res.ok || !json || !("update" in json))
        throw refusal(res.status, json && "error" in json ? json.error : undefined);
      const result = applyAnswer(doc, json, sentBytes);
      result.receivedBytes += received;
      received = result.receivedBytes;
      if (options.store)
        await remember(options.store, options.docId, json, !changedMeanwhile && !json.more);
      if (!json.more) return result;
      const stateVector = encodeBase64url(Y.encodeStateVector(doc));
      request = { stateVector, epoch: json.epoch, paged: true };
    }
  } finally {
    doc.off("update", onUpdate);
  }
}

/** Keeps the answer in the offline store; marks the copy saved when the server has it all. */
async function remember(
  store: OfflineStore,
  docId: string,
  answer: SyncAnswer,
  allStored: boolean,
): Promise<void> {
  try {
    await store.append(docId, decodeBase64url(answer.update));
    await store.setMeta(
      docId,
      allStored ? { epoch: answer.epoch, unsaved: false } : { epoch: answer.epoch },
    );
  } catch (err) {
    throw new SyncError("storage", `offline store failed: ${(err as Error)?.message ?? err}`);
  }
}
