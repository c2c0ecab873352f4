// What other Workers and agents ask of a document over the RPC surface (worker/rpc/): writes that
// take REST's path (one verdict, durable before the reply) and are recorded with their actor (the
// activity feature hears them as `stored` events of origin "rpc"), and agents' peers in presence.
import {
  canWrite,
  failure,
  type ActivityEntry,
  type ActivityReply,
  type Actor,
  type AgentPeer,
  type PresenceReply,
  type RpcResult,
  type WriteReply,
} from "../contract";
import { Room } from "../room";
import { postUpdate } from "./document";
import { answer, open, type Hosted } from "./open";

/** Most activity entries one call returns. */
export const MAX_ACTIVITY_PAGE = 500;

/** A write exactly as REST's (same verdict, same codes), recorded, and the peer renewed. */
export async function agentWrite(
  doc: Hosted,
  docId: string,
  update: Uint8Array,
  actor: Actor,
  via: ActivityEntry["via"],
  peer: AgentPeer | null,
): Promise<RpcResult<WriteReply>> {
  const writer = { origin: "rpc" as const, actor: actor.id, name: actor.name ?? null, via };
  const written = await postUpdate(doc, docId, update, actor.role ?? "write", writer);
  if (!written.ok || !peer) return written;
  const shown = await agentPresence(doc, docId, actor, peer, false);
  return shown.ok ? written : shown;
}

/** Shows or renews an agent's peer (a writer's creates the document, as its socket would). */
export async function agentPresence(
  doc: Hosted,
  docId: string,
  actor: Actor,
  peer: AgentPeer,
  leave: boolean,
): Promise<RpcResult<PresenceReply>> {
  // A reader's peer, or a peer leaving, creates nothing (a view, as for a reader's socket).
  const mode = !leave && canWrite(actor.role ?? "write") ? "create" : "view";
  const room = await open(doc, docId, mode);
  if (!(room instanceof Room)) return answer(doc, "rpc", room);
  const { peers } = doc.features;
  if (leave) {
    peers.leave(room.presence, actor, peer.clientId);
    return { ok: true, present: false };
  }
  if (!peers.show(room.presence, actor, peer)) {
    const message = `awareness client ${peer.clientId} is another actor's`;
    return answer(doc, "rpc", failure(403, "forbidden", message));
  }
  return { ok: true, present: true };
}

/** The latest recorded RPC writes of an existing document, newest first. */
export async function activity(
  doc: Hosted,
  docId: string,
  limit: number,
): Promise<RpcResult<ActivityReply>> {
  const room = await open(doc, docId);
  if (!(room instanceof Room)) return answer(doc, "rpc", room);
  const page = Math.max(1, Math.min(Math.floor(limit) || 1, MAX_ACTIVITY_PAGE));
  return { ok: true, activity: doc.features.activity.list(page) };
}
