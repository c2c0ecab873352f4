// What other Workers and agents ask of a document over the RPC surface (worker/rpc/): writes that
// take REST's path (one verdict, durable before the reply) and are recorded with their actor, and
// agents' peers in presence. Plain functions over the host, called through the Inbox.
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
} from "./contract";
import { ActivityLog } from "./activity";
import { AgentPeers } from "./agent-peers";
import type { AgentSettings } from "./config";
import type { DocumentHost } from "./document-host";
import { Room } from "./room";
import type { Sql } from "./storage/sqlite-log";

/** Most activity entries one call returns. */
export const MAX_ACTIVITY_PAGE = 500;

/** What the host keeps for RPC callers: agents' peers and the activity log, in its SQLite. */
export interface AgentDesk {
  peers: AgentPeers;
  activity: ActivityLog;
  /** The document was deleted: forget both. */
  clear(): void;
}

export function openDesk(
  sql: Sql,
  settings: AgentSettings,
  scheduleAlarm: (at: number) => void,
): AgentDesk {
  const peers = new AgentPeers(sql, settings.leaseMs, scheduleAlarm);
  const activity = new ActivityLog(sql, settings.activityMaxRows);
  return { peers, activity, clear: () => (peers.clear(), activity.clear()) };
}

/** A write exactly as REST's (same verdict, same codes), recorded, and the peer renewed. */
export async function agentWrite(
  host: DocumentHost,
  docId: string,
  update: Uint8Array,
  actor: Actor,
  via: ActivityEntry["via"],
  peer: AgentPeer | null,
): Promise<RpcResult<WriteReply>> {
  const written = await host.postUpdate(docId, update, actor.role ?? "write");
  if (!written.ok) return written;
  if (written.changed) {
    const name = actor.name ?? null;
    host.desk.activity.record({ ts: Date.now(), actor: actor.id, name, bytes: update.length, via });
  }
  if (peer) {
    const shown = await agentPresence(host, docId, actor, peer, false);
    if (!shown.ok) return shown;
  }
  return written;
}

/** Shows or renews an agent's peer (a writer's creates the document, as its socket would). */
export async function agentPresence(
  host: DocumentHost,
  docId: string,
  actor: Actor,
  peer: AgentPeer,
  leave: boolean,
): Promise<RpcResult<PresenceReply>> {
  // A reader's peer, or a peer leaving, creates nothing (a view, as for a reader's socket).
  const mode = !leave && canWrite(actor.role ?? "write") ? "create" : "view";
  const room = await host.existing(docId, mode);
  if (!(room instanceof Room)) return room;
  if (leave) {
    host.desk.peers.leave(room.presence, actor, peer.clientId);
    return { ok: true, present: false };
  }
  if (!host.desk.peers.show(room.presence, actor, peer)) {
    return failure(403, "forbidden", `awareness client ${peer.clientId} is another actor's`);
  }
  return { ok: true, present: true };
}

/** The latest recorded RPC writes of an existing document, newest first. */
export async function activity(
  host: DocumentHost,
  docId: string,
  limit: number,
): Promise<RpcResult<ActivityReply>> {
  const room = await host.existing(docId);
  if (!(room instanceof Room)) return room;
  const page = Math.max(1, Math.min(Math.floor(limit) || 1, MAX_ACTIVITY_PAGE));
  return { ok: true, activity: host.desk.activity.list(page) };
}
