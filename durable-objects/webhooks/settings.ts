// The outbox's settings (WEBHOOK_URL, WEBHOOK_DEBOUNCE_MS, WEBHOOK_CLIENT_EVENTS) and its queue:
// the producer binding WEBHOOK_QUEUE. Without a URL, or without the binding, webhooks are off:
// nothing is recorded or queued (`npm start` unconfigured, an embedder without a queue).
import { readTable } from "../../config/read";
import { WEBHOOK_OUTBOX_TABLE } from "../../config/tables";
import type { Values } from "../../config/settings";
import type { WebhookQueue, WebhookSettings } from "./webhooks";

/** The producer binding's name in wrangler.toml. */
export const WEBHOOK_QUEUE_BINDING = "WEBHOOK_QUEUE";

/** `createDocumentObject({ webhooks })`: the table's keys, given in code. */
export type WebhookOptions = Partial<Values<typeof WEBHOOK_OUTBOX_TABLE>>;

let warned = false;

/** The outbox's settings and queue, or null when webhooks are off. */
export function webhookSettingsFromEnv(
  env: Record<string, unknown>,
  given: WebhookOptions = {},
): (WebhookSettings & { queue: WebhookQueue }) | null {
  const values = readTable(WEBHOOK_OUTBOX_TABLE, env, given);
  if (!values.url) return null;
  const queue = env[WEBHOOK_QUEUE_BINDING] as WebhookQueue | undefined;
  if (typeof queue?.sendBatch !== "function") {
    if (!warned)
      console.warn(
        `edgesync: WEBHOOK_URL is set but there is no queue binding ${WEBHOOK_QUEUE_BINDING}: webhooks are off (docs/webhooks.md)`,
      );
    warned = true;
    return null;
  }
  return { queue, debounceMs: values.debounceMs, clientEvents: values.clientEvents };
}
