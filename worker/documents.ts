// Calling a document's Durable Object from the Worker. A call that throws — the object could not
// start, as with a damaged database file — is the same 503 as a document that failed to load,
// never a 500; and a read the object cannot serve is answered from D1's last intact generation.
import type { Context } from "hono";
import * as Y from "yjs";
import {
  failure,
  type AdminRpc,
  type DocumentRpc,
  type RpcResult,
} from "../durable-objects/contract";
import { D1Record } from "../durable-objects/storage/d1-record";
import { validateUpdate } from "../protocol/messages";
import type { AppEnv } from "./app";
import { ApiError } from "./errors";
import { settingsOf } from "./settings";

/** Response header naming where a read was served from when it was not the live document. */
export const SOURCE_HEADER = "x-edgesync-source";

const UNAVAILABLE = failure(
  503,
  "document_unavailable",
  "the document could not be loaded; retry later",
);

/** The stub of document `id`'s Durable Object, from the mount's namespace binding. */
export function documentStub(c: Context<AppEnv>, id: string) {
  const namespace = settingsOf(c).documents(c.env);
  return namespace.get(namespace.idFromName(id));
}

/** Calls the document's Durable Object; a thrown call becomes a 503 failure value. */
export async function callDocument<T>(
  c: Context<AppEnv>,
  id: string,
  call: (stub: DocumentRpc & AdminRpc) => PromiseLike<RpcResult<T>>,
): Promise<RpcResult<T>> {
  // Typed by the contract: the stub must offer every DocumentRpc method as RPC delivers it. Looked
  // up outside the try: a missing binding is the Worker's misconfiguration (500), not the object's.
  const stub: DocumentRpc & AdminRpc = documentStub(c, id);
  try {
    return await call(stub);
  } catch (err) {
    console.error(`edgesync: the Durable Object of ${id} failed: ${(err as Error).message}`);
    return UNAVAILABLE;
  }
}

/** Turns a Durable Object's failure value into the HTTP error, or returns the success value. */
export function unwrap<T>(result: RpcResult<T>): T {
  if (!result.ok) throw new ApiError(result.status, result.code, result.message);
  return result;
}

/**
 * A read: from the Durable Object, or — when it answers 503 (storage damaged or unreadable) —
 * from the document's last generation in D1, which `fromD1` renders; `source` says which.
 */
export async function readDocument<T>(
  c: Context<AppEnv>,
  id: string,
  call: (stub: DocumentRpc) => PromiseLike<RpcResult<T>>,
  fromD1: (doc: Y.Doc) => T,
): Promise<{ value: T; source: "live" | "d1" }> {
  const result = await callDocument(c, id, call);
  if (result.ok || result.status !== 503) return { value: unwrap(result), source: "live" };
  const doc = await lastGeneration(settingsOf(c).db(c.env), id).catch((err: Error) => {
    console.error(`edgesync: reading ${id} from D1 failed too: ${err.message}`);
    return null;
  });
  if (!doc) unwrap(result);
  return { value: fromD1(doc!), source: "d1" };
}

async function lastGeneration(db: D1Database, id: string): Promise<Y.Doc | null> {
  const d1 = new D1Record(db);
  const record = await d1.get(id);
  if (!record) return null;
  const snapshot = await d1.loadSnapshot(record); // checks the generation's checksum
  validateUpdate(snapshot);
  const doc = new Y.Doc({ gc: true });
  Y.applyUpdate(doc, snapshot);
  return doc;
}
