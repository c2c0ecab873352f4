// Batch HTTP sync: many documents per request (POST /v1/sync), for a background task that must
// sync every changed document in the few seconds the OS gives it. Each document gets its own
// result; one document's refusal never fails the others.
import * as Y from "yjs";
import { encodeBase64url } from "../protocol/base64url";
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

type Entry = { input: HttpSyncDoc; body: Record<string, unknown>; sentBytes: number; size: number };
type Failure = Extract<HttpSyncManyResult, { ok: false }>;
type BatchAnswer = { results?: (Partial<SyncAnswer> & { id: string; status: number })[] };
/**
 * A document whose answer was a page (`more`): it is named again with its new state vector, or
 * fails if the page added nothing (so a misbehaving server cannot keep it asking forever).
 */
type Paged = (entry: Entry, answer: SyncAnswer) => SyncError | undefined;

/** One document of a request: always `paged`, so a large document comes in parts. */
function entryOf(input: HttpSyncDoc, body: Record<string, unknown>, sentBytes: number): Entry {
  const entry = { id: input.id, ...body, paged: true };
  return { input, body: entry, sentBytes, size: JSON.stringify(entry).length + 1 };
}

/**
 * Syncs many documents, in as few requests as the limits allow, and applies each answer to its
 * Y.Doc. A large document is answered in pages of about 256 KiB (`paged`): those with more are
 * named again, with their new state vectors, in further requests until none has more. Resolves
 * to one result per document, in the order given; never rejects for a document's (or a
 * request's) refusal, only for a document id listed twice.
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
  let round: Entry[] = [];
  for (const input of options.docs) {
    try {
      const token = await resolveToken(input.token);
      const { body, sentBytes } = syncRequest(input.doc, input.serverStateVector, input.epoch);
      round.push(entryOf(input, { ...body, ...(token ? { token } : {}) }, sentBytes));
    } catch (err) {
      fail(input.id, 0, asSyncError(err));
    }
  }
  while (round.length > 0) {
    // The next page of each paged document: what its state vector after this page lacks (its
    // update was stored with the first page; a later page's refusal still fails the document).
    const next: Entry[] = [];
    const paged: Paged = ({ input, body }, answer) => {
      const stateVector = encodeBase64url(Y.encodeStateVector(input.doc));
      if (stateVector === body.stateVector)
        return new SyncError("closed", "a page of the answer added nothing: stopped");
      const again = {
        stateVector,
        epoch: answer.epoch,
        ...(body.token ? { token: body.token } : {}),
      };
      next.push(entryOf(input, again, 0));
      return undefined;
    };
    for (const chunk of chunks(round, options)) {
      for (const result of await syncChunk(chunk, requestToken, options, paged)) {
        const before = results.get(result.id);
        results.set(
          result.id,
          before?.ok && result.ok
            ? {
                ...result,
                sentBytes: before.sentBytes + result.sentBytes,
                receivedBytes: before.receivedBytes + result.receivedBytes,
              }
            : result,
        );
      }
    }
    round = next;
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
  paged: Paged,
): Promise<HttpSyncManyResult[]> {
  const everyone = (status: number, error: SyncError): Failure[] =>
    chunk.map(({ input }) => ({ id: input.id, ok: false, status, error }));
  let res;
  try {
    res = await postJson(
      options.fetch ?? globalThis.fetch,
      `${baseUrl(options.url)}/v1/sync`,
      requestToken ?? (chunk.find((e) => e.body.token)?.body.token as string | undefined),
      { documents: chunk.map((e) => e.body) },
    );
  } catch (err) {
    return everyone(0, asSyncError(err));
  }
  const json = res.json as (BatchAnswer & { error?: { code: string; message: string } }) | null;
  if (!res.ok || !Array.isArray(json?.results))
    return everyone(res.status, refusal(res.status, json?.error));
  const answers = new Map(json.results.map((r) => [r.id, r]));
  return chunk.map((entry): HttpSyncManyResult => {
    const { input, sentBytes } = entry;
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
    const result = applyAnswer(input.doc, answer as SyncAnswer, sentBytes);
    const stuck = answer.more ? paged(entry, answer as SyncAnswer) : undefined;
    if (stuck) return { id: input.id, ok: false, status: 200, error: stuck };
    return { id: input.id, ok: true, ...result };
  });
}
