// Who wrote through the RPC surface (worker/rpc/): each RPC write, as it is stored, goes into a
// table capped by count (storage/agent-tables.ts), read by the `activity` operation.
import type { DocumentEvents } from "./events";
import type { ActivityTable } from "./storage/agent-tables";

/** Entries kept per document; older ones are dropped (env ACTIVITY_MAX_ROWS). */
export const DEFAULT_ACTIVITY_MAX_ROWS = 500;

/** Reads ACTIVITY_MAX_ROWS from the environment. */
export function activityMaxRows(env: Record<string, unknown>): number {
  const value = Number(env.ACTIVITY_MAX_ROWS ?? DEFAULT_ACTIVITY_MAX_ROWS);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`ACTIVITY_MAX_ROWS must be a positive integer, got ${env.ACTIVITY_MAX_ROWS}`);
  return value;
}

/**
 * Records every RPC write as it is stored (its `stored` event), in the write's own commit, so
 * an entry exists exactly when the document changed.
 */
export function recordActivity(
  events: DocumentEvents,
  table: ActivityTable,
  now: () => number = Date.now,
): void {
  events.on("stored", ({ origin, actor, name, via, update }) => {
    if (origin !== "rpc") return;
    table.record({
      ts: now(),
      actor,
      name: name ?? null,
      bytes: update.length,
      via: via ?? "apply",
    });
  });
}
