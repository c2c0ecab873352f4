// The contract between the Worker and a document's Durable Object: everything the two halves
// agree on, and the only part of durable-objects/ the Worker imports besides the D1 index
// (storage/d1-record.ts); the class reaches the Worker's entry through the package entry,
// server/index.ts (worker/imports.test.ts holds the rule). Each side imports this and nothing else of the other.
//
// "Sync" names four things; internally each has its own name:
// - the socket route: GET /sync/:docId, the WebSocket upgrade (worker/routes/socket.ts);
// - HTTP sync: POST /v1/docs/:id/sync, one round trip (the `httpSync` RPC, `HttpSyncReply`);
// - sync messages: y-protocols message type 0, step 1 / step 2 / update (protocol/messages.ts);
// - synced: a client's state once the server's step 2 arrived (the provider's `synced` event).

export { canWrite, isRole, roleAllows, ROLES, type Role } from "../../protocol/roles";
export { HANDOFF_HEADERS, readHandoff, writeHandoff, type Handoff } from "./handoff";
export {
  failure,
  RpcError,
  type DeleteReply,
  type DocumentRpc,
  type HttpSyncReply,
  type InfoReply,
  type JsonReply,
  type RpcErrorCode,
  type RpcFailure,
  type RpcResult,
  type UpdateReply,
  type WriteReply,
  WRITE_REFUSAL_ON_SOCKET,
} from "./results";
export {
  ACTOR_LIMITS,
  actorProblem,
  type ActivityEntry,
  type ActivityReply,
  type Actor,
  type AgentCursor,
  type AgentPeer,
  type AgentRpc,
  type PresenceReply,
} from "./agents";
export {
  documentInfo,
  type Batches,
  type DocumentInfo,
  type DocumentStats,
  type FlushState,
  type LoadSummary,
  type QuarantinedRow,
  type Recovery,
  type WebhookBacklog,
} from "./document-info";
export { renderJson } from "./render-json";
export type { DocumentMetrics, PersistenceLag } from "./metrics";
export type { AdminRpc, ConnectionInfo, InspectReply, PersistReply } from "./admin";
export * from "./history";
// The settings both halves read (MAX_MESSAGE_BYTES…) live in config/ at the top level, which
// imports neither half: one table, one reader (config/settings.ts, config/read.ts).
