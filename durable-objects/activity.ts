// Who wrote through the RPC surface (worker/rpc/): each RPC write, as it is stored, goes into a
// table capped by count (storage/agent-tables.ts), read by the `activity` operation.
import type { DocumentEvents } from "./events";
import type { ActivityTable } from "./storage/agent-tables";

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
