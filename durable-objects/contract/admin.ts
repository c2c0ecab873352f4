// What an operator is told about one document beyond its public info — its stats with counters,
// its sockets and presence — and the admin RPCs that act on it (worker/routes/admin.ts calls them).
// Plain types: they cross the RPC boundary.
import type { Role } from "../../protocol/roles";
import type { DocumentStats, FlushState } from "./document-info";
import type { RpcResult } from "./results";

/** One open socket, as an operator sees it (no token, no awareness state: see presence). */
export interface ConnectionInfo {
  id: string;
  role: Role;
  sub: string | null;
  /** Token expiry, Unix seconds (null when auth is off). */
  exp: number | null;
  /** The awareness client ids the socket owns. */
  clientIds: number[];
}

/** The operators' view of a document (GET /v1/docs/{id}/stats). */
export interface InspectReply {
  stats: DocumentStats;
  connections: ConnectionInfo[];
  /** Every awareness state the document shows (sockets' and agents' peers). */
  presence: { clientId: number; state: unknown }[];
}

/** What "compact now" and "flush to D1 now" answer: the replication state after it. */
export interface PersistReply {
  d1: FlushState;
  logRows: number;
  snapshotBytes: number;
}

/** The admin RPCs of a document's Durable Object (worker/routes/admin.ts calls them). */
export interface AdminRpc {
  inspect(docId: string): Promise<RpcResult<InspectReply>>;
  compactNow(docId: string): Promise<RpcResult<PersistReply>>;
  flushNow(docId: string): Promise<RpcResult<PersistReply>>;
}
