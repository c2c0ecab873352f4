// The per-document Durable Object: a thin adapter from Cloudflare's hibernation API to the
// DocumentHost's platform port, with the features installed on its seam; every event and RPC
// reaches the host and the operations above it through the Inbox, after the frames before it.
// `createDocumentObject(options)` (create-document-object.ts) makes it for another D1 binding or limits.
import { DurableObject } from "cloudflare:workers";
import {
  agentSettingsFromEnv,
  historyFromEnv,
  limitsFromEnv,
  metricsConfigFromEnv,
  type AgentSettings,
  type HistoryOptions,
  type MetricsConfig,
  type RoomLimits,
} from "./config";
import {
  readHandoff,
  type ActivityEntry,
  type ActivityReply,
  type Actor,
  type AgentPeer,
  type AdminRpc,
  type ActivityQuery,
  type AgentRpc,
  type HistoryPoint,
  type RevertRequest,
  type VersionsQuery,
  type DeleteReply,
  type DocumentRpc,
  type DocumentStats,
  type HistoryRpc,
  type HttpSyncReply,
  type InfoReply,
  type InspectReply,
  type JsonReply,
  type PersistReply,
  type PresenceReply,
  type Role,
  type RpcResult,
  type UpdateReply,
  type WriteReply,
} from "./contract";
import { DocumentHost } from "./document-host";
import { installFeatures } from "./features";
import { analyticsDataset } from "./metrics/analytics";
import { Inbox } from "./inbox";
import * as admin from "./operations/admin";
import { activity, agentPresence, agentWrite } from "./operations/agent";
import * as ops from "./operations/document";
import * as past from "./operations/history";
import type { Hosted } from "./operations/open";
import type { DocumentPlatform } from "./platform";
import { closeQuietly } from "./sockets";
import { D1Record } from "./storage/d1-record";
import { webhookSettingsFromEnv, type WebhookOptions } from "./webhooks/settings";

/** What `createDocumentObject` (create-document-object.ts) configures the class with. */
export interface DocumentObjectOptions {
  /** Name of the D1 binding in the Worker's wrangler.toml. Default: DB. */
  db?: string;
  /** Room limits instead of the environment's (MAX_DOC_BYTES…); the rest as the environment says. */
  limits?: Partial<RoomLimits>;
  /** Agents' settings instead of the environment's (AGENT_LEASE_MS, ACTIVITY_MAX_ROWS). */
  agents?: Partial<AgentSettings>;
  /** Metrics' settings instead of the environment's (METRICS_WRITE_MS). */
  metrics?: Partial<MetricsConfig>;
  /** Webhook settings instead of the environment's (WEBHOOK_URL, WEBHOOK_DEBOUNCE_MS…). */
  webhooks?: WebhookOptions;
  /** History's settings instead of the environment's (HISTORY_RETENTION_DAYS). */
  history?: Partial<HistoryOptions>;
}

/** The metrics settings, and the Analytics Engine dataset they name (metrics/analytics.ts). */
function metricsOf(env: Record<string, unknown>, given: Partial<MetricsConfig> | undefined) {
  const { writeMs, log, analyticsBinding } = metricsConfigFromEnv(env, given);
  const analytics = analyticsDataset(env, analyticsBinding);
  return { metricsWriteMs: writeMs, metricsLog: log, analytics };
}

/** Cloudflare's object state behind the host's port. */
function platformOf(ctx: DurableObjectState): DocumentPlatform {
  const { storage } = ctx;
  return {
    name: String(ctx.id),
    sql: storage.sql,
    transaction: (fn) => storage.transactionSync(fn),
    sockets: () => ctx.getWebSockets(),
    getAlarm: () => storage.getAlarm(),
    setAlarm: (at) => void storage.setAlarm(at),
    deleteAlarm: () => storage.deleteAlarm(),
  };
}

export class DocumentObject
  extends DurableObject<Record<string, unknown>>
  implements DocumentRpc, AgentRpc, AdminRpc, HistoryRpc
{
  /** What createDocumentObject configured the class with; this class uses the defaults. */
  static readonly options: DocumentObjectOptions = {};
  private readonly inbox: Inbox<DocumentHost>;
  /** What the operations run on: the host and the features on its seam. */
  private readonly doc: Hosted;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    const options = (new.target as typeof DocumentObject).options;
    const limits = limitsFromEnv(env, options.limits);
    const name = options.db ?? "DB";
    const db = env[name] as D1Database | undefined;
    if (typeof db?.prepare !== "function")
      throw new Error(`edgesync: the Durable Object has no D1 binding named ${name}`);
    const agents = agentSettingsFromEnv(env, options.agents);
    const platform = platformOf(ctx);
    const host = new DocumentHost({ platform, d1: new D1Record(db), limits });
    const features = installFeatures(host, platform.sql, {
      limits,
      agentLeaseMs: agents.leaseMs,
      activityMaxRows: agents.activityMaxRows,
      ...metricsOf(env, options.metrics),
      frames: () => this.inbox.batches.frames,
      webhooks: webhookSettingsFromEnv(env, options.webhooks),
      history: historyFromEnv(env, options.history),
    });
    this.inbox = new Inbox(host, limits);
    this.doc = { host, features, batches: this.inbox.batches };
    // Keep-alives are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    ctx.blockConcurrencyWhile(() => this.inbox.run((host) => host.wake()));
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const params = new URL(request.url).searchParams;
    const { 0: client, 1: server } = new WebSocketPair();
    await this.inbox.run(async (host) => {
      const handoff = readHandoff(request.headers);
      const refusal = await host.admitSocket(handoff, params.get("epoch"));
      if (refusal) {
        server.accept();
        return closeQuietly(server, refusal.code, refusal.reason);
      }
      this.ctx.acceptWebSocket(server);
      host.connect(server, handoff, params.get("ext") === "1");
    });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: ArrayBuffer | string): Promise<void> {
    return this.inbox.push(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.inbox.run((host) => host.disconnect(ws));
    // Complete the closing handshake; 1005 and 1006 are only reported, never sent.
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.inbox.run((host) => host.disconnect(ws));
  }

  override async alarm(): Promise<void> {
    await this.inbox.run((host) => host.alarm());
  }

  // ---- RPC for the REST API (operations/document.ts). Results are plain values (contract/results.ts) ----

  getUpdate(docId: string, sv: Uint8Array | null): Promise<RpcResult<UpdateReply>> {
    return this.inbox.run(() => ops.getUpdate(this.doc, docId, sv));
  }

  getJson(docId: string): Promise<RpcResult<JsonReply>> {
    return this.inbox.run(() => ops.getJson(this.doc, docId));
  }

  postUpdate(docId: string, update: Uint8Array, role: Role): Promise<RpcResult<WriteReply>> {
    return this.inbox.run(() => ops.postUpdate(this.doc, docId, update, role));
  }

  httpSync(
    docId: string,
    stateVector: Uint8Array,
    update: Uint8Array | null,
    role: Role,
    epoch: string | null,
    paged = false,
  ): Promise<RpcResult<HttpSyncReply>> {
    return this.inbox.run(() =>
      ops.httpSync(this.doc, docId, stateVector, update, role, epoch, paged),
    );
  }

  info(docId: string): Promise<RpcResult<InfoReply>> {
    return this.inbox.run(() => ops.info(this.doc, docId));
  }

  /** Closes every socket with 4404 and removes the document from DO storage and D1. */
  destroy(docId: string): Promise<RpcResult<DeleteReply>> {
    return this.inbox.run(() => ops.destroy(this.doc, docId));
  }

  // ---- RPC for other Workers and agents (worker/rpc/; see operations/agent.ts) ----

  agentWrite(
    docId: string,
    update: Uint8Array,
    actor: Actor,
    via: ActivityEntry["via"],
    peer: AgentPeer | null,
  ): Promise<RpcResult<WriteReply>> {
    return this.inbox.run(() => agentWrite(this.doc, docId, update, actor, via, peer));
  }

  agentPresence(docId: string, actor: Actor, peer: AgentPeer, leave: boolean) {
    return this.inbox.run((): Promise<RpcResult<PresenceReply>> =>
      agentPresence(this.doc, docId, actor, peer, leave),
    );
  }

  activity(docId: string, limit: number): Promise<RpcResult<ActivityReply>> {
    return this.inbox.run(() => activity(this.doc, docId, limit));
  }

  // ---- RPC for history (operations/history.ts; docs/history.md) ----

  getUpdateAt(docId: string, point: HistoryPoint, sv: Uint8Array | null) {
    return this.inbox.run(() => past.getUpdateAt(this.doc, docId, point, sv));
  }

  getJsonAt(docId: string, point: HistoryPoint) {
    return this.inbox.run(() => past.getJsonAt(this.doc, docId, point));
  }

  versions(docId: string, query: VersionsQuery) {
    return this.inbox.run(() => past.versions(this.doc, docId, query));
  }

  createVersion(docId: string, name: string, actor: string) {
    return this.inbox.run(() => past.createVersion(this.doc, docId, name, actor));
  }

  historyActivity(docId: string, query: ActivityQuery) {
    return this.inbox.run(() => past.historyActivity(this.doc, docId, query));
  }

  restore(docId: string, point: HistoryPoint, actor: string) {
    return this.inbox.run(() => past.restore(this.doc, docId, point, actor));
  }

  revert(docId: string, request: RevertRequest, actor: string) {
    return this.inbox.run(() => past.revert(this.doc, docId, request, actor));
  }

  /** Runs compaction and D1 replication now, regardless of thresholds (tests, operators). */
  persistNow(force: { compact?: boolean; flush?: boolean } = { compact: true, flush: true }) {
    return this.inbox.run(() => ops.persistNow(this.doc, force));
  }

  /** Operational facts about the document (loads it if needed). */
  stats(): Promise<DocumentStats> {
    return this.inbox.run(() => ops.stats(this.doc));
  }

  // ---- RPC for the admin routes (operations/admin.ts) ----

  inspect(docId: string): Promise<RpcResult<InspectReply>> {
    return this.inbox.run(() => admin.inspect(this.doc, docId));
  }

  compactNow(docId: string): Promise<RpcResult<PersistReply>> {
    return this.inbox.run(() => admin.compactNow(this.doc, docId));
  }

  flushNow(docId: string): Promise<RpcResult<PersistReply>> {
    return this.inbox.run(() => admin.flushNow(this.doc, docId));
  }
}
