// The webhook queue's consumer (docs/webhooks.md): delivers each event the document outboxes sent
// to WEBHOOK_URL, signed (signature.ts), acknowledging it only on a 2xx; anything else is retried
// with exponential backoff, and what still fails after the queue's max_retries goes to the
// dead-letter queue, whose messages the same handler records in D1 (webhook_dead_letters).
import { checkOptions, ConfigError, readTable } from "../../config/read";
import type { Values } from "../../config/settings";
import { WEBHOOK_DELIVERY_TABLE } from "../../config/tables";
import { signWebhook, WEBHOOK_HEADERS } from "./signature";

/** `createWebhookConsumer(options)`: the delivery settings in code, and the D1 binding's name. */
export type WebhookConsumerOptions = Partial<Values<typeof WEBHOOK_DELIVERY_TABLE>> & {
  /** D1 binding that records dead letters. Default: DB. */
  db?: string;
};

/** A queue whose name ends so is the dead-letter queue: its messages are recorded, not delivered. */
export const DEAD_LETTER_SUFFIX = "-dlq";

/** The message shape used here (Cloudflare's `Message<string>`). */
interface QueueMessage {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}
interface Batch {
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
}

/** The Worker's `queue` handler for the webhook queue and its dead-letter queue. */
export function createWebhookConsumer(options: WebhookConsumerOptions = {}) {
  const { db = "DB", ...given } = options;
  try {
    checkOptions("createWebhookConsumer", WEBHOOK_DELIVERY_TABLE, given);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`createWebhookConsumer: ${err.message}`);
    throw err;
  }
  return async (batch: Batch, env: Record<string, unknown>): Promise<void> => {
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX))
      return recordDeadLetters(batch, env[db] as D1Database | undefined);
    const settings = readTable(WEBHOOK_DELIVERY_TABLE, env, given);
    await Promise.all(batch.messages.map((msg) => deliver(msg, settings)));
  };
}

type Settings = Values<typeof WEBHOOK_DELIVERY_TABLE>;

async function deliver(msg: QueueMessage, settings: Settings): Promise<void> {
  const body = typeof msg.body === "string" ? msg.body : JSON.stringify(msg.body);
  const event = parse(body);
  const retry = (why: string) => {
    const delaySeconds = Math.min(
      settings.retryMaxSeconds,
      settings.retryBaseSeconds * 2 ** Math.min(msg.attempts - 1, 20),
    );
    console.warn(
      `edgesync: webhook ${event.id} (${event.type}) attempt ${msg.attempts} failed: ${why}; retry in ${delaySeconds} s`,
    );
    msg.retry({ delaySeconds });
  };
  if (!settings.url || !settings.secret)
    return retry("WEBHOOK_URL and WEBHOOK_SECRET must both be set");
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await fetch(settings.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [WEBHOOK_HEADERS.id]: event.id,
        [WEBHOOK_HEADERS.event]: event.type,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: await signWebhook(settings.secret, timestamp, body),
        [WEBHOOK_HEADERS.attempt]: String(msg.attempts),
      },
      body,
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    await response.body?.cancel();
    if (response.ok) return msg.ack();
    retry(`HTTP ${response.status}`);
  } catch (err) {
    retry((err as Error).name === "TimeoutError" ? "timed out" : String(err));
  }
}

function parse(body: string): { id: string; type: string; documentId: string } {
  try {
    const event = JSON.parse(body) as { id?: unknown; type?: unknown; documentId?: unknown };
    return { id: String(event.id), type: String(event.type), documentId: String(event.documentId) };
  } catch {
    return { id: "unknown", type: "unknown", documentId: "" };
  }
}

/** Records the dead-letter queue's messages in D1, one row per event id; acks each once written. */
async function recordDeadLetters(batch: Batch, db: D1Database | undefined): Promise<void> {
  for (const msg of batch.messages) {
    const body = typeof msg.body === "string" ? msg.body : JSON.stringify(msg.body);
    const event = parse(body);
    console.error(
      `edgesync: webhook ${event.id} (${event.type} of ${JSON.stringify(event.documentId)}) was not delivered after every retry`,
    );
    if (!db) {
      msg.ack(); // nowhere to record it: the log line above is the record
      continue;
    }
    try {
      await db
        .prepare(
          "INSERT OR IGNORE INTO webhook_dead_letters (event_id, type, document_id, body, attempts, queued_at, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(
          event.id,
          event.type,
          event.documentId,
          body,
          msg.attempts,
          +msg.timestamp,
          Date.now(),
        )
        .run();
      msg.ack();
    } catch (err) {
      console.error(`edgesync: recording dead letter ${event.id} failed: ${err}`);
      msg.retry({ delaySeconds: 30 });
    }
  }
}
