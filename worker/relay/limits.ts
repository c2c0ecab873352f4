// The per-connection budgets of a relayed socket (/mux, /hocuspocus). The queue cap comes from each
// door's own limits (MUX_MAX_QUEUED_BYTES, HOCUSPOCUS_MAX_PENDING_BYTES); the reply budget reads
// the same settings as a direct socket's budget in the document, through the one config reader.
import { defaultsOf, readTable } from "../../config/read";
import { RELAY_REPLY_TABLE } from "../../config/tables";

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

/** REPLY_BUDGET_BYTES and REPLY_BUDGET_REFILL_MS's defaults (config/settings.ts). */
export const DEFAULT_REPLY_BUDGET: ReplyBudgetLimits = defaultsOf(RELAY_REPLY_TABLE);

/** The reply budget of one relayed connection: the defaults, or the environment's values. */
export function replyBudgetFromEnv(env: Record<string, unknown>): ReplyBudgetLimits {
  return readTable(RELAY_REPLY_TABLE, env, {});
}
