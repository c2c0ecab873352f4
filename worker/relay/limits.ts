// The per-connection budgets of a relayed socket (/mux, /hocuspocus). The queue cap comes from each
// door's own limits (MUX_MAX_QUEUED_BYTES, HOCUSPOCUS_MAX_PENDING_BYTES); the reply budget and the
// unread bound read the same settings as a direct socket's in the document, through the one
// config reader.
import { defaultsOf, readTable } from "../../config/read";
import { RELAY_REPLY_TABLE } from "../../config/tables";

export interface ReplyBudgetLimits {
  /** Reply bytes (sync step 2) one client connection may be relayed before its refill. */
  replyBudgetBytes: number;
  /** Time over which the reply budget refills from empty to full. */
  replyRefillMs: number;
  /**
   * Broadcast bytes (everything but replies) that may wait unread toward the client's socket,
   * all channels together (MAX_QUEUED_BYTES); past it the client is closed with 4529.
   */
  maxUnreadBytes: number;
}

export interface RelayBudgetLimits extends ReplyBudgetLimits {
  /** Bytes one connection may have queued for documents not open yet, all channels together. */
  maxQueuedBytes: number;
}

/** REPLY_BUDGET_BYTES, REPLY_BUDGET_REFILL_MS and MAX_QUEUED_BYTES's defaults (config/settings.ts). */
export const DEFAULT_REPLY_BUDGET: ReplyBudgetLimits = defaultsOf(RELAY_REPLY_TABLE);

/** The reply budget and unread bound of one relayed connection: defaults, or the environment's. */
export function replyBudgetFromEnv(env: Record<string, unknown>): ReplyBudgetLimits {
  return readTable(RELAY_REPLY_TABLE, env, {});
}
