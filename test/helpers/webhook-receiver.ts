// A webhook receiver for tests, in a process of its own (webhook-receiver-process.mjs): records every
// delivery (headers, raw body, arrival, whether its signature verified) and answers as the test
// says — 200, 500, or too late (a timeout the sender sees, though the receiver processed the
// event: a duplicate follows).
import { fork } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { fileURLToPath } from "node:url";
import type { WebhookEvent } from "../../durable-objects/contract/webhooks";

export type ReceiverMode = "ok" | "fail" | "late";

export interface Delivery {
  event: WebhookEvent;
  body: string;
  headers: IncomingHttpHeaders;
  at: number;
  /** The receiver processed it (answered 200, or answered late after processing). */
  processed: boolean;
  verified: boolean;
  /** The receiver's mode when it arrived. */
  mode: ReceiverMode;
}

export async function startReceiver(secret: string, lateMs: number) {
  const child = fork(fileURLToPath(new URL("./webhook-receiver-process.mjs", import.meta.url)), {
    env: { ...process.env, WEBHOOK_SECRET: secret, WEBHOOK_LATE_MS: String(lateMs) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const deliveries: Delivery[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (msg: { port?: number } & Omit<Delivery, "event">) => {
      if (msg.port) return resolve(msg.port);
      deliveries.push({ ...msg, event: JSON.parse(msg.body) as WebhookEvent });
    });
  });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    /** Sets how it answers from now on. */
    setMode: (mode: ReceiverMode) => child.send({ mode }),
    /** Documents whose events are always refused with 500. */
    refuse: (documentIds: string[]) => child.send({ refuse: documentIds }),
    close: async () => {
      child.kill("SIGKILL");
    },
  };
}
