// What an operator asks of one existing document (the admin routes, worker/routes/admin.ts): its
// stats with counters, sockets and presence; compaction now; D1 replication now. Functions of the
// loaded document above the host, answering plain values (contract/admin.ts).
import {
  failure,
  type ConnectionInfo,
  type InspectReply,
  type PersistReply,
  type RpcResult,
} from "../contract";
import { Room } from "../room";
import { statsOf } from "./document";
import { answer, open, type Hosted } from "./open";

export async function inspect(doc: Hosted, docId: string): Promise<RpcResult<InspectReply>> {
  const room = await open(doc, docId);
  if (!(room instanceof Room)) return answer(doc, "rest", room);
  const connections: ConnectionInfo[] = doc.host.connectionStates().map((state) => ({
    id: state.id,
    role: state.role,
    sub: state.sub ?? null,
    exp: state.exp,
    clientIds: Object.keys(state.aw).map(Number),
  }));
  const presence = [...room.presence.awareness.getStates()].map(([clientId, state]) => ({
    clientId,
    state,
  }));
  return { ok: true, stats: statsOf(doc, room), connections, presence };
}

/** Folds the log into a new snapshot now, whatever the thresholds say. */
export async function compactNow(doc: Hosted, docId: string): Promise<RpcResult<PersistReply>> {
  return persist(doc, docId, { compact: true });
}

/**
 * Replicates the document to D1 now (compacting first, as every flush does). A failure is a 503
 * `flush_failed` with D1's error; the document is intact and its alarm retries with backoff.
 */
export async function flushNow(doc: Hosted, docId: string): Promise<RpcResult<PersistReply>> {
  return persist(doc, docId, { flush: true });
}

async function persist(
  doc: Hosted,
  docId: string,
  force: { compact?: boolean; flush?: boolean },
): Promise<RpcResult<PersistReply>> {
  const room = await open(doc, docId);
  if (!(room instanceof Room)) return answer(doc, "rest", room);
  const persistence = doc.features.persistence()!; // made by the load above
  await persistence.idle(); // a flush in flight finishes first: one at a time
  const before = doc.host.store.replication().failures;
  await persistence.run(room, force);
  const d1 = persistence.flushState();
  if (force.flush && d1.failures > before) {
    const message = `the D1 flush failed (${d1.lastError}); the document is intact and retried`;
    return answer(doc, "rest", failure(503, "flush_failed", message));
  }
  const { logRows, snapshotBytes } = doc.host.store.size();
  return { ok: true, d1, logRows, snapshotBytes };
}
