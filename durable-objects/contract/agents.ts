// What other Workers and agents send over the RPC surface (worker/rpc/) and the Durable Object
// keeps of them: who acts (Actor), where an agent's peer stands (AgentPeer), what was recorded.
import { isRole, type Role } from "../../protocol/roles";
import type { RpcResult, WriteReply } from "./results";

/** Who makes an RPC write. `role` defaults to "write"; "read" is refused writes like a reader. */
export interface Actor {
  /** Stable id of the caller (a service, a job, an agent), recorded with each write. */
  id: string;
  /** Shown to people in presence; the id when absent. */
  name?: string;
  /** CSS colour shown in presence (e.g. "#8a2be2"). */
  color?: string;
  role?: Role;
}

/** Longest actor id, name and colour accepted (they are recorded and broadcast to every socket). */
export const ACTOR_LIMITS = { id: 128, name: 64, color: 32 } as const;

/** Relative positions (Y.relativePositionToJSON) of where an agent writes: y-prosemirror's shape. */
export interface AgentCursor {
  anchor: unknown;
  head: unknown;
}

/** An agent's awareness peer: its own client id, and its cursor if it has one. */
export interface AgentPeer {
  clientId: number;
  cursor?: AgentCursor | null;
}

/** One recorded write from the RPC surface (the Durable Object keeps the latest few hundred). */
export interface ActivityEntry {
  /** Unix milliseconds. */
  ts: number;
  actor: string;
  name: string | null;
  /** Bytes of the update as sent. */
  bytes: number;
  /** "apply": a one-off `apply`; "session": an edit session's `apply`. */
  via: "apply" | "session";
}

/** `agentPresence`: whether the peer is shown (false after leaving). */
export type PresenceReply = { present: boolean };
/** `activity`: recorded writes, newest first. */
export type ActivityReply = { activity: ActivityEntry[] };

/** Why an actor is not acceptable, or null. Checked by the entrypoint before any object runs. */
export function actorProblem(actor: unknown): string | null {
  if (typeof actor !== "object" || actor === null) return "actor must be an object";
  const { id, name, color, role } = actor as Record<string, unknown>;
  if (typeof id !== "string" || id.length === 0 || id.length > ACTOR_LIMITS.id)
    return `actor.id must be a string of 1–${ACTOR_LIMITS.id} characters`;
  if (name !== undefined && (typeof name !== "string" || name.length > ACTOR_LIMITS.name))
    return `actor.name must be a string of at most ${ACTOR_LIMITS.name} characters`;
  if (color !== undefined && (typeof color !== "string" || color.length > ACTOR_LIMITS.color))
    return `actor.color must be a string of at most ${ACTOR_LIMITS.color} characters`;
  if (role !== undefined && !isRole(role)) return "actor.role must be read, write or admin";
  return null;
}

/** The Durable Object's methods behind the RPC surface (the class implements these too). */
export interface AgentRpc {
  /** A write judged exactly as a socket's or REST's, recorded, and the peer renewed if given. */
  agentWrite(
    docId: string,
    update: Uint8Array,
    actor: Actor,
    via: ActivityEntry["via"],
    peer: AgentPeer | null,
  ): Promise<RpcResult<WriteReply>>;
  /** Shows or renews (`leave` false) or removes (`leave` true) an agent's peer. */
  agentPresence(
    docId: string,
    actor: Actor,
    peer: AgentPeer,
    leave: boolean,
  ): Promise<RpcResult<PresenceReply>>;
  /** The latest recorded RPC writes, newest first. */
  activity(docId: string, limit: number): Promise<RpcResult<ActivityReply>>;
}
