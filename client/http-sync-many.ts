// Batch HTTP sync: many documents per request (POST /v1/sync), for a background task that must
// sync every changed document in the few seconds the OS gives it. Each document gets its own
// result; one document's refusal never fails the others.
import type * as Y from "yjs";
import { SyncError } from "./errors";
import {
  applyAnswer,
  asSyncError,
  baseUrl,
  postJson,
  refusal,
  resolveToken,
  syncRequest,
  type HttpSyncResult,
  type SyncAnswer,
  type TokenSource,
} from "./http-sync";

/** The server's default BATCH_SYNC_MAX_DOCS: documents per request. */
export const BATCH_MAX_DOCS = 200;
/** The server's default BATCH_SYNC_MAX_BYTES: bytes of JSON per request. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

export interface HttpSyncDoc {
  /** The document id. */
  id: string;
  doc: Y.Doc;
  /** This document's own token; without it, the request's token must cover it. */
  token?: TokenSource;
  /** The server state vector returned by this document's previous sync. */
  serverStateVector?: Uint8Array;
  /** The epoch returned by this document's previous sync. */
  epoch?: string;
}

export interface HttpSyncManyOptions {
  /** Base HTTP(S) URL of the server, e.g. "https://sync.example.com". */
  url: string;
  docs: HttpSyncDoc[];
  /**
   * The request's token, for every document without its own (a `doc` prefix such as `team-42:*`
   * covers many). Without it, each request carries its first document's token.
   */
  token?: TokenSource;
  /** Documents per request; more are sent in further requests (match the server's limit). */
  maxDocsPerRequest?: number;
  /** JSON bytes per request; a document larger alone is still sent (alone). */
  maxBytesPerRequest?: number;
  /** Injectable fetch (defaults to the global). */
  fetch?: typeof fetch;
}

export type HttpSyncManyResult =
  | ({ id: string; ok: true } & HttpSyncResult)
  | {
      id: string;
      ok: false;
      /** The document's HTTP status, or its whole request's; 0 if the request never got an answer. */
      status: number;
      /** "deleted" for 409 (drop local state, sync again without epoch), otherwise "closed" or "token". */
      error: SyncError;
    };

type Entry = { input: HttpSyncDoc; body: Record<string, string>; sentBytes: number; size: number };
type Failure = Extract<HttpSyncManyResult, { ok: false }>;
type BatchAnswer = { results?: (Partial<SyncAnswer> & { id: string; status: number })[] };

/**
 * Syncs many documents, in as few requests as the limits allow, and applies each answer to its
 * Y.Doc. Resolves to one result per document, in the order given; never rejects for a
 * document's (or a request's) refusal, only for a document id listed twice.
 */
export async function syncManyOverHttp(
  options: HttpSyncManyOptions,
): Promise<HttpSyncManyResult[]> {
  const ids = new Set(options.docs.map((d) => d.id));
  if (ids.size !== options.docs.length)
    throw new SyncError("closed", "a document id is listed twice: sync it once");
  const results = new Map<string, HttpSyncManyResult>();
  const fail = (id: string, status: number, error: SyncError) =>
    results.set(id, { id, ok: false, status, error });
  let requestToken: string | undefined;
  try {
    requestToken = await resolveToken(options.token);
  } catch (err) {
    for (const { id } of options.docs) fail(id, 0, asSyncError(err));
    return options.docs.map((d) => results.get(d.id)!);
  }
  const entries: Entry[] = [];
  for (const input of options.docs) {
    try {
      const token = await resolveToken(input.token);
      const { body, sentBytes } = syncRequest(input.doc, input.serverStateVector, input.epoch);
      const entry = { id: input.id, ...body, ...(token ? { token } : {}) };
      entries.push({ input, body: entry, sentBytes, size: JSON.stringify(entry).length + 1 });
    } catch (err) {
      fail(input.id, 0, asSyncError(err));
    }
  }
  for (const chunk of chunks(entries, options)) {
    for (const result of await syncChunk(chunk, requestToken, options))
      results.set(result.id, result);
  }
  return options.docs.map((d) => results.get(d.id)!);
}

/** Consecutive runs of entries within the per-request limits. */
function* chunks(entries: Entry[], options: HttpSyncManyOptions): Generator<Entry[]> {
  const maxDocs = options.maxDocsPerRequest ?? BATCH_MAX_DOCS;
  const maxBytes = (options.maxBytesPerRequest ?? BATCH_MAX_BYTES) - '{"documents":[]}'.length;
  let chunk: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (chunk.length > 0 && (chunk.length >= maxDocs || bytes + entry.size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += entry.size;
  }
  if (chunk.length > 0) yield chunk;
}

async function syncChunk(
  chunk: Entry[],
  requestToken: string | undefined,
  options: HttpSyncManyOptions,
): Promise<HttpSyncManyResult[]> {
  const everyone = (status: number, error: SyncError): Failure[] =>
    chunk.map(({ input }) => ({ id: input.id, ok: false, status, error }));
  let res;
  try {
    res = await postJson(
      options.fetch ?? globalThis.fetch,
      `${baseUrl(options.url)}/v1/sync`,
      requestToken ?? chunk.find((e) => e.body.token)?.body.token,
      { documents: chunk.map((e) => e.body) },
    );
  } catch (err) {
    return everyone(0, asSyncError(err));
  }
  const json = res.json as (BatchAnswer & { error?: { code: string; message: string } }) | null;
  if (!res.ok || !Array.isArray(json?.results))
    return everyone(res.status, refusal(res.status, json?.error));
  const answers = new Map(json.results.map((r) => [r.id, r]));
  return chunk.map(({ input, sentBytes }): HttpSyncManyResult => {
    const answer = answers.get(input.id);
    if (!answer) {
      const error = new SyncError("closed", "the server sent no result for this document");
      return { id: input.id, ok: false, status: 0, error };
    }
    if (answer.status !== 200) {
      const error = (answer as { error?: { code: string; message: string } }).error;
      return {
        id: input.id,
        ok: false,
        status: answer.status,
        error: refusal(answer.status, error),
      };
    }
    return { id: input.id, ok: true, ...applyAnswer(input.doc, answer as SyncAnswer, sentBytes) };
  });
}
