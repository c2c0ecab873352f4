// Bounds of one POST /v1/sync request; each is a setting of config/settings.ts
// (BATCH_SYNC_MAX_DOCS…) read by the one config reader, the options over the environment.
import { readTable } from "../config/read";
import { BATCH_TABLE } from "../config/tables";

export interface BatchLimits {
  maxDocs: number;
  maxBytes: number;
}

/** The batch limits: `given` over the Worker's environment over the defaults. */
export function batchLimitsFromEnv(
  env: Record<string, unknown>,
  given: Partial<BatchLimits> = {},
): BatchLimits {
  return readTable(BATCH_TABLE, env, given);
}
