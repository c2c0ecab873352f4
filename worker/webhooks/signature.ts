// Signing webhook deliveries and checking them (docs/webhooks.md): HMAC-SHA256 with WEBHOOK_SECRET
// over `<timestamp>.<body>`, the timestamp in Unix seconds. Web Crypto only, so the receiver's side
// (`verifyWebhook`) runs in Node 18+, Workers, Deno and browsers alike.

/** The delivery headers. */
export const WEBHOOK_HEADERS = {
  /** The event's idempotency key: the same on every delivery of one event (also the body's `id`). */
  id: "x-edgesync-webhook-id",
  /** The event type (also the body's `type`). */
  event: "x-edgesync-webhook-event",
  /** When this delivery was signed, Unix seconds. */
  timestamp: "x-edgesync-webhook-timestamp",
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
  signature: "x-edgesync-webhook-signature",
  /** This delivery's attempt, from 1. */
  attempt: "x-edgesync-webhook-attempt",
} as const;

/** How far a delivery's timestamp may be from the receiver's clock by default (seconds). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The signature header's value for `body` sent at `timestamp` (Unix seconds). */
export async function signWebhook(secret: string, timestamp: number, body: string) {
  return `v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

export type Verification = { ok: true } | { ok: false; reason: string };

/**
 * Checks a delivery: its signature over the raw body (read it as text before parsing) and that its
 * timestamp is within `toleranceSeconds` of `now` — an old delivery replayed is refused by the
 * latter. Then deduplicate by the id header: the same event may arrive more than once.
 */
export async function verifyWebhook(options: {
  secret: string;
  body: string;
  /** The delivery's headers (a Headers, or a Node-style object of lower-case names). */
  headers: Headers | Record<string, string | string[] | undefined>;
  toleranceSeconds?: number;
  /** The receiver's clock in ms (Date.now()). */
  now?: number;
}): Promise<Verification> {
  const get = (name: string): string | null => {
    const { headers } = options;
    if (headers instanceof Headers) return headers.get(name);
    const value = headers[name];
    return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  };
  const timestamp = get(WEBHOOK_HEADERS.timestamp);
  const signature = get(WEBHOOK_HEADERS.signature);
  if (!timestamp || !/^\d+$/.test(timestamp)) return { ok: false, reason: "no timestamp" };
  if (!signature) return { ok: false, reason: "no signature" };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const age = (options.now ?? Date.now()) / 1000 - Number(timestamp);
  if (Math.abs(age) > tolerance)
    return { ok: false, reason: `timestamp is ${Math.round(age)} s from now` };
  const expected = await signWebhook(options.secret, Number(timestamp), options.body);
  // Compare every candidate in full (several `v1=` values may be given while a secret rotates).
  const given = signature.split(/[ ,]+/).filter(Boolean);
  let match = false;
  for (const candidate of given) match = constantTimeEqual(candidate, expected) || match;
  return match ? { ok: true } : { ok: false, reason: "signature does not match" };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
