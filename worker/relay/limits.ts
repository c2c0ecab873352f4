// The per-connection budgets of a relayed socket (/mux, /hocuspocus). The queue cap comes from each
// door's own limits (MUX_MAX_QUEUED_BYTES, HOCUSPOCUS_MAX_PENDING_BYTES); the reply budget reads
// the same variables as a direct socket's budget in the document (the Worker may not import the
// Durable Object's config, worker/imports.test.ts, so the defaults are repeated here).
import { countsFromEnv } from "../env-counts";

export interface ReplyBudgetLimits {
  /** Reply bytes (sync step 2) one client connection may be relayed before its refill. */
  replyBudgetBytes: number;
  /** Time over which the reply budget refills from empty to full. */
  replyRefillMs: number;
}

export interface RelayBudgetLimits extends ReplyBudgetLimits {
  /** Bytes one connection may have queued for documents not open yet, all channels together. */
  maxQueuedBytes: number;
}

/** REPLY_BUDGET_BYTES and REPLY_BUDGET_REFILL_MS's defaults (durable-objects/config.ts). */
export const DEFAULT_REPLY_BUDGET: ReplyBudgetLimits = {
  replyBudgetBytes: 16 * 1024 * 1024,
  replyRefillMs: 10 * 60_000,
};

/** The reply budget of one relayed connection: the defaults, or the environment's values. */
export function replyBudgetFromEnv(env: Record<string, unknown>): ReplyBudgetLimits {
  return countsFromEnv(env, DEFAULT_REPLY_BUDGET, {
    replyBudgetBytes: "REPLY_BUDGET_BYTES",
    replyRefillMs: "REPLY_BUDGET_REFILL_MS",
  });
}
