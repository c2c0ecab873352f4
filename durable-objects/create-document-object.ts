// `createDocumentObject(options)`: the document objects' class for an embedder whose D1 binding
// has another name, or who sets the room limits and agents' settings in code rather than in [vars]
// (edgesync/server). Options are checked here, once, by the one config reader.
import { checkOptions, ConfigError } from "../config/read";
import {
  AGENT_TABLE,
  HISTORY_TABLE,
  METRICS_TABLE,
  ROOM_TABLE,
  WEBHOOK_OUTBOX_TABLE,
} from "../config/tables";
import { DocumentObject, type DocumentObjectOptions } from "./document-object";

export type { DocumentObjectOptions };

const OPTION_KEYS = ["db", "limits", "agents", "metrics", "webhooks", "history"];

/** The Durable Object class for `options`; export it under the class_name of your binding. */
export function createDocumentObject(options: DocumentObjectOptions = {}): typeof DocumentObject {
  const fail = (message: string): never => {
    throw new Error(`createDocumentObject: ${message}`);
  };
  for (const key of Object.keys(options))
    if (!OPTION_KEYS.includes(key))
      fail(`unknown option ${key} (known: ${OPTION_KEYS.join(", ")})`);
  if (options.db !== undefined && !/^[A-Za-z_$][\w$]*$/.test(options.db))
    fail(`db must be a binding name, got ${JSON.stringify(options.db)}`);
  try {
    checkOptions("limits", ROOM_TABLE, options.limits);
    checkOptions("agents", AGENT_TABLE, options.agents);
    checkOptions("metrics", METRICS_TABLE, options.metrics);
    checkOptions("webhooks", WEBHOOK_OUTBOX_TABLE, options.webhooks);
    checkOptions("history", HISTORY_TABLE, options.history);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const configured = { ...options };
  return class extends DocumentObject {
    static override readonly options = configured;
  };
}
