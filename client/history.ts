// A document's history over the REST API (docs/history.md): name a version, list versions, restore
// a version or a moment, revert one actor's changes. Plain requests with the SDK's token source;
// a refusal rejects with SyncError("closed") naming the HTTP status and the server's error code.
import { docNameInUrl } from "../protocol/doc-name";
import { SyncError } from "./errors";
import { baseUrl, resolveToken, type TokenSource } from "./http-sync";

export interface HistoryOptions {
  /** Base HTTP(S) URL of the server, e.g. "https://sync.example.com". */
  url: string;
  docId: string;
  token?: TokenSource;
  /** Injectable fetch (defaults to the global). */
  fetch?: typeof fetch;
}

/** A named version, or a checkpoint the server took (`kind`). */
export interface Version {
  id: string;
  kind: "version" | "checkpoint";
  name: string | null;
  /** When it was taken, ms since the epoch. */
  ts: number;
  actor: string | null;
  seq: number;
  bytes: number;
}

/** What a restore or revert did: whether the document changed, and its stored change's seq. */
export interface RestoreResult {
  changed: boolean;
  seq: number | null;
}

/** Names the document's current state as a version (write token). */
export async function createVersion(options: HistoryOptions, name: string): Promise<Version> {
  const answer = await call<{ version: Version }>(options, "POST", "versions", {}, { name });
  return answer.version;
}

/** A page of versions, newest first (`named`: versions only, no checkpoints); read token. */
export async function listVersions(
  options: HistoryOptions,
  page: { cursor?: string; limit?: number; named?: boolean } = {},
): Promise<{ versions: Version[]; cursor: string | null }> {
  const query: Record<string, string> = {};
  if (page.cursor) query.cursor = page.cursor;
  if (page.limit) query.limit = String(page.limit);
  if (page.named) query.named = "true";
  return call(options, "GET", "versions", query);
}

/** Brings back the content of a version or a moment, as a forward change (write token). */
export async function restoreDocument(
  options: HistoryOptions,
  to: { version: string } | { at: number },
): Promise<RestoreResult> {
  const { changed, seq } = await call<RestoreResult>(options, "POST", "restore", {}, to);
  return { changed, seq };
}

/** Removes `actor`'s changes made between `from` and `to` (ms, inclusive), keeping the rest. */
export async function revertChanges(
  options: HistoryOptions,
  request: { actor: string; from: number; to: number },
): Promise<RestoreResult> {
  const { changed, seq } = await call<RestoreResult>(options, "POST", "revert", {}, request);
  return { changed, seq };
}

async function call<T>(
  options: HistoryOptions,
  method: "GET" | "POST",
  route: string,
  query: Record<string, string>,
  body?: unknown,
): Promise<T> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (!doFetch) throw new SyncError("closed", "no fetch implementation: pass options.fetch");
  const token = await resolveToken(options.token);
  const name = docNameInUrl(options.docId);
  const params = Object.entries(query).map(
    ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
  );
  if (name.query) params.push(name.query);
  const search = params.length ? `?${params.join("&")}` : "";
  const url = `${baseUrl(options.url)}/v1/docs/${name.segment}/${route}${search}`;
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    const init = { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    res = await doFetch(url, init);
  } catch (err) {
    throw new SyncError("closed", `no answer from ${url}: ${(err as Error)?.message ?? err}`);
  }
  const json = (await res.json().catch(() => null)) as
    (T & { error?: undefined }) | { error?: { code: string; message: string } } | null;
  if (!res.ok || !json) {
    const error = json?.error;
    const message = `HTTP ${res.status} ${error?.code ?? ""}: ${error?.message ?? "request failed"}`;
    throw new SyncError("closed", message);
  }
  return json as T;
}
