// What the REST API (through the Worker's `DocumentRpc` calls) asks of a document: read, write,
// HTTP sync, JSON, info and delete, plus the operators' stats and persist-now. Functions of the
// loaded document above the host; results are plain values (see contract/results.ts).
import { canWrite, failure, type DocumentStats, type Role, type RpcResult } from "../contract";
import type { HttpSyncReply, JsonReply, UpdateReply, WriteReply } from "../contract";
import { renderJson } from "../contract";
import type { Writer } from "../events";
import { loadFailure } from "../backends";
import { Room } from "../room";
import { D1NotMigratedError } from "../storage/d1-record";
import {
  checkUpdate,
  documentStats,
  EPOCH_MISMATCH,
  httpSync as syncOver,
  readUpdate,
  stateVectorProblem,
  writeUpdate,
} from "./document-api";
import { answer, open, type Hosted } from "./open";

/** Who writes over REST: the Worker does not hand the token's subject to RPC calls. */
const REST_WRITER: Writer = { origin: "rest", actor: "http" };

export async function getUpdate(
  doc: Hosted,
  docId: string,
  sv: Uint8Array | null,
): Promise<RpcResult<UpdateReply>> {
  const problem = sv && stateVectorProblem(sv);
  if (problem) return answer(doc, "rest", problem);
  const room = await open(doc, docId);
  return answer(doc, "rest", room instanceof Room ? readUpdate(room, sv) : room);
}

export async function getJson(doc: Hosted, docId: string): Promise<RpcResult<JsonReply>> {
  const room = await open(doc, docId);
  return answer(
    doc,
    "rest",
    room instanceof Room ? { ok: true, json: renderJson(room.doc) } : room,
  );
}

/** A write judged exactly as a socket's (admission.ts), stored and broadcast before the reply. */
export async function postUpdate(
  doc: Hosted,
  docId: string,
  update: Uint8Array,
  role: Role,
  writer: Writer = REST_WRITER,
): Promise<RpcResult<WriteReply>> {
  const checked = checkUpdate(update, doc.host.limits); // refused before anything is created
  if (!(checked instanceof Uint8Array)) return answer(doc, writer.origin, checked);
  const room = await open(doc, docId, canWrite(role) ? "create" : "existing");
  if (!(room instanceof Room)) return answer(doc, writer.origin, room);
  // Output gates hold the response until the appended update is durable.
  return answer(doc, writer.origin, writeUpdate(room, checked, role, writer));
}

export async function httpSync(
  doc: Hosted,
  docId: string,
  stateVector: Uint8Array,
  update: Uint8Array | null,
  role: Role,
  epoch: string | null,
  paged = false,
): Promise<RpcResult<HttpSyncReply>> {
  const checked = update && checkUpdate(update, doc.host.limits); // before anything is created
  if (checked && !(checked instanceof Uint8Array)) return answer(doc, "rest", checked);
  const problem = stateVectorProblem(stateVector);
  if (problem) return answer(doc, "rest", problem);
  // A read token's HTTP sync creates nothing: a missing document is a 404, as for other reads.
  const room = await open(doc, docId, canWrite(role) ? "create" : "existing");
  if (!(room instanceof Room)) return answer(doc, "rest", room);
  if (epoch !== null && epoch !== doc.host.epoch()) return answer(doc, "rest", EPOCH_MISMATCH);
  const result = syncOver(room, stateVector, checked, role, REST_WRITER, paged);
  return answer(doc, "rest", result.ok ? { ...result, epoch: doc.host.epoch() } : result);
}

export async function info(
  doc: Hosted,
  docId: string,
): Promise<RpcResult<{ stats: DocumentStats }>> {
  const room = await open(doc, docId);
  return answer(doc, "rest", room instanceof Room ? { ok: true, stats: statsOf(doc, room) } : room);
}

/** Closes every socket with 4404 and removes the document from DO storage and D1. */
export async function destroy(doc: Hosted, docId: string): Promise<RpcResult<{ deleted: true }>> {
  const room = await open(doc, docId);
  if (!(room instanceof Room)) return answer(doc, "rest", room);
  try {
    // A D1 flush in flight, or one started meanwhile, would write D1's rows back after the delete.
    const persistence = doc.features.persistence();
    const remove = () => doc.host.delete(room);
    await (persistence ? persistence.whileDeleting(remove) : remove());
  } catch (err) {
    console.error(`edgesync: deleting ${docId} failed: ${(err as Error).message}`);
    if (err instanceof D1NotMigratedError) return answer(doc, "rest", loadFailure(err, docId));
    const message = "the document could not be deleted from D1; nothing was removed, retry";
    return answer(doc, "rest", failure(503, "delete_failed", message));
  }
  return { ok: true, deleted: true };
}

/** Runs compaction and D1 replication now, regardless of thresholds (tests, operators). */
export async function persistNow(
  doc: Hosted,
  force: { compact?: boolean; flush?: boolean },
): Promise<void> {
  const room = await doc.host.open(null, "existing");
  await doc.features.persistence()!.run(room, force);
}

/** Operational facts about the document (loads it if needed). */
export async function stats(doc: Hosted): Promise<DocumentStats> {
  return statsOf(doc, await doc.host.open(null, "view"));
}

export function statsOf({ host, features, batches }: Hosted, room: Room): DocumentStats {
  const lastError = null;
  const d1 = features.persistence()?.flushState() ?? { ...host.store.replication(), lastError };
  const { connections, lastLoad } = host;
  return documentStats(room, host.store, {
    connections,
    d1,
    lastLoad,
    batches: { ...batches },
    metrics: features.metrics.report(),
    webhooks: features.webhooks?.backlog() ?? null,
  });
}
