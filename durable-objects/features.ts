// The features on the host's seam (events.ts, timers.ts), installed once per object: persistence
// (compaction and D1 replication), the activity log of RPC writes, agents' peers, and metrics. Each one
// subscribes to events and registers a named timer; none is called by the host. The operations
// above the host (operations/) reach them through the `Features` this returns.
import { recordActivity } from "./activity";
import { AGENT_LEASE_TIMER, AgentPeers } from "./agent-peers";
import type { RoomLimits } from "./config";
import type { DocumentHost } from "./document-host";
import { installMetrics, type Metrics } from "./metrics/install";
import { History, type HistorySettings } from "./history/history";
import { Persistence } from "./persistence";
import type { Sql } from "./storage/sqlite-log";
import { ActivityTable, PeerTable } from "./storage/agent-tables";
import {
  installWebhooks,
  type WebhookQueue,
  type Webhooks,
  type WebhookSettings,
} from "./webhooks/webhooks";

/** The timer that compacts the log and replicates to D1 (persistence.ts decides when). */
export const PERSISTENCE_TIMER = "persistence";

/** METRICS_WRITE_MS's default, for hosts built without settings (tests). */
const DEFAULT_METRICS_WRITE_MS = 30_000;

export interface FeatureSettings {
  limits: RoomLimits;
  /** How long an agent's peer stays shown without a renewal (AGENT_LEASE_MS). */
  agentLeaseMs: number;
  /** Activity entries kept per document (ACTIVITY_MAX_ROWS). */
  activityMaxRows: number;
  /** The webhook outbox's queue and settings; null when webhooks are off (no WEBHOOK_URL). */
  webhooks?: (WebhookSettings & { queue: WebhookQueue }) | null;
  /** History's settings (HISTORY_RETENTION_DAYS…); retention 0 or absent: history off. */
  history?: Omit<HistorySettings, "now">;
  now?: () => number;
  /** Longest a counter change waits before it is copied to D1 (METRICS_WRITE_MS). */
  metricsWriteMs?: number;
  /** Frames received since the object started (the Inbox counts them); none when absent. */
  frames?: () => number;
  /** Print the log lines (METRICS_LOG; default true). */
  metricsLog?: boolean;
  /** A Workers Analytics Engine dataset that also gets each log line's event (optional). */
  analytics?: AnalyticsEngineDataset | null;
}

export interface Features {
  /** Persistence of the loaded store: null until the document first loads (see below). */
  persistence(): Persistence | null;
  peers: AgentPeers;
  activity: ActivityTable;
  metrics: Metrics;
  /** The webhook outbox (docs/webhooks.md); null when webhooks are off. */
  webhooks: Webhooks | null;
  /** The document's history (history/history.ts), or null when it is off. */
  history: History | null;
}

/** Installs every feature on `host`; `sql` is the object's SQLite, whose tables storage/ owns. */
export function installFeatures(host: DocumentHost, sql: Sql, settings: FeatureSettings): Features {
  const { events, timers } = host;
  const now = settings.now ?? Date.now;
  const persistence = installPersistence(host, settings.limits, now);

  const activity = new ActivityTable(sql, settings.activityMaxRows);
  recordActivity(events, activity, now);

  const leaseTimer = (at: number) => timers.at(AGENT_LEASE_TIMER, at);
  const peers = new AgentPeers(new PeerTable(sql), settings.agentLeaseMs, leaseTimer, now);
  events.on("loaded", ({ room }) => peers.restore(room.presence));
  timers.register(AGENT_LEASE_TIMER, () => {
    const room = host.loaded;
    return room ? peers.expire(room.presence) : null;
  });

  const metrics = installMetrics(host, sql, {
    writeMs: settings.metricsWriteMs ?? DEFAULT_METRICS_WRITE_MS,
    frames: settings.frames ?? (() => 0),
    persistence,
    now,
    analytics: settings.analytics ?? null,
    ...(settings.metricsLog === false ? { sink: () => {} } : {}),
  });

  const hooks = settings.webhooks;
  const webhooks = hooks ? installWebhooks(host, sql, hooks.queue, hooks, now) : null;

  const history = installHistory(host, sql, { retentionDays: 0, ...settings.history, now });
  return { persistence, peers, activity, metrics, webhooks, history };
}

/** History, when its retention is above 0: nothing is recorded or scheduled otherwise. */
function installHistory(host: DocumentHost, sql: Sql, settings: HistorySettings) {
  if (settings.retentionDays <= 0) return null;
  const transaction = <T>(fn: () => T) => host.transaction(fn);
  const lastSeq = () => host.store.size().lastSeq;
  const history = new History(sql, transaction, settings, host.timers, lastSeq);
  history.install(host.events);
  return history;
}

/**
 * Persistence follows the document: made when storage first loads (the store may only open
 * then: see DocumentHost.openStorage), told of each stored update — memory only, plus the
 * compaction backstop — and run by its timer.
 */
function installPersistence(host: DocumentHost, limits: RoomLimits, now: () => number) {
  const { events, timers } = host;
  let persistence: Persistence | null = null;
  events.on("loaded", () => {
    persistence ??= new Persistence(host.store, host.backends, limits, now, events);
    persistence.resume(); // stored changes D1 lacks are due again
    timers.at(PERSISTENCE_TIMER, persistence.dueAt());
  });
  events.on("stored", () => {
    if (!persistence) return;
    persistence.noteChange();
    // Synchronous, so a backstop compaction commits with the write that passed the thresholds.
    if (host.loaded) persistence.compactIfOverdue(host.loaded);
    timers.at(PERSISTENCE_TIMER, persistence.dueAt());
  });
  events.on("deleted", () => persistence?.reset());
  timers.register(PERSISTENCE_TIMER, async () => {
    const room = host.loaded;
    // A view of a document not created yet has nothing stored to compact or replicate.
    if (!persistence || !room || !host.exists()) return null;
    // Compaction is one transaction, so a failure left the previous state intact: the timer
    // retries (timers.ts).
    await persistence.run(room);
    return persistence.dueAt();
  });
  return () => persistence;
}
