// Delivery signatures: what the consumer signs verifies; a replay past the tolerance, a changed
// body, another secret or a missing header does not; while a secret rotates, either one may sign.
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook, WEBHOOK_HEADERS } from "./signature";

const secret = "s3cret";
const body = '{"id":"e1","type":"document.created"}';
const at = 1_800_000_000;

async function headers(timestamp = at, key = secret) {
  return {
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: await signWebhook(key, timestamp, body),
  };
}

describe("webhook signatures", () => {
  it("verify the signed body within the tolerance, and nothing else", async () => {
    const now = at * 1000;
    expect(await verifyWebhook({ secret, body, headers: await headers(), now })).toEqual({
      ok: true,
    });
    expect(
      await verifyWebhook({ secret, body, headers: new Headers(await headers()), now }),
    ).toEqual({ ok: true });
    const replay = await verifyWebhook({
      secret,
      body,
      headers: await headers(),
      now: now + 301_000,
    });
    expect(replay).toMatchObject({ ok: false, reason: expect.stringMatching(/timestamp/) });
    const changed = await verifyWebhook({
      secret,
      body: body + " ",
      headers: await headers(),
      now,
    });
    expect(changed).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
    const other = await verifyWebhook({ secret, body, headers: await headers(at, "other"), now });
    expect(other.ok).toBe(false);
    expect(await verifyWebhook({ secret, body, headers: {}, now })).toMatchObject({ ok: false });
  });

  it("accept any of several v1 signatures (a secret being rotated)", async () => {
    const h = await headers();
    const old = await signWebhook("old", at, body);
    h[WEBHOOK_HEADERS.signature] = `${old} ${h[WEBHOOK_HEADERS.signature]}`;
    expect(await verifyWebhook({ secret, body, headers: h, now: at * 1000 })).toEqual({ ok: true });
  });
});
