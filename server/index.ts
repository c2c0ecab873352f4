// `edgesync/server`: edgesync inside your own Worker. `createEdgesync(options)` returns a Hono app
// with every route of the edgesync Worker (mount it with `app.route("/collab", edgesync)` or serve
// it as the default export); export `DocumentObject` (or `createDocumentObject({ db })`) under the
// class_name of your Durable Object binding. The repository's own Worker is built from this entry.
export { createEdgesync, type EdgesyncApp } from "../worker/edgesync";
export type { EdgesyncOptions } from "../worker/settings";
export type { AppEnv, EdgesyncBindings } from "../worker/app";
export {
  createAuth,
  tokenOf,
  type Auth,
  type AuthOptions,
  type AuthorizeHook,
  type AuthorizeResult,
  type Grant,
  type JwtOptions,
  type Scope,
} from "../worker/auth/create-auth";
export type { AsymmetricAlgorithm } from "../worker/auth/config";
export type { BatchLimits } from "../worker/batch-limits";
export type { RelayLimits } from "../worker/hocuspocus/limits";
export { DocumentObject } from "../durable-objects/document-object";
export {
  createDocumentObject,
  type DocumentObjectOptions,
} from "../durable-objects/create-document-object";
export { DEFAULT_LIMITS, type RoomLimits } from "../durable-objects/config";
export type { Role } from "../protocol/roles";
// HS256 tokens for your backend to mint (also published alone as `edgesync/tokens`).
export { createToken, type CreateTokenOptions, type TokenClaims } from "../tokens/mint";
// Edits from other Workers and agents: the Workers RPC entrypoint for service bindings (export it
// from your Worker; `createEdgesyncRpc({ documents })` for another binding name), and RemoteDoc,
// the caller's local Y.Doc that sends only its diff.
export {
  EdgesyncRpc,
  EditSession,
  createEdgesyncRpc,
  type EdgesyncRpcOptions,
  type OpenReply,
  type ReadReply,
} from "../worker/rpc/entrypoint";
export { RemoteDoc, EdgesyncRpcError } from "../worker/rpc/remote-doc";
// Webhooks (docs/webhooks.md): the queue consumer to export as your Worker's `queue` handler, and
// the receiver's check of a delivery.
export { createWebhookConsumer, type WebhookConsumerOptions } from "../worker/webhooks/consumer";
export { verifyWebhook, WEBHOOK_HEADERS, type Verification } from "../worker/webhooks/signature";
export type { WebhookEvent, WebhookEventType } from "../durable-objects/contract/webhooks";
export type {
  Actor,
  AgentCursor,
  ActivityEntry,
  ActivityReply,
  PresenceReply,
} from "../durable-objects/contract/agents";
