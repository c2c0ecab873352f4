// Token crafting for auth tests: valid tokens via createToken, and hostile ones by hand.
import { sign } from "hono/jwt";

const b64url = (input: string | Uint8Array) =>
  btoa(typeof input === "string" ? input : String.fromCharCode(...input))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An unsigned token with `alg: none`. */
export function noneToken(payload: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(payload))}.`;
}

/** Signs an arbitrary payload with HS256 (or another HMAC algorithm). */
export function signed(
  payload: Record<string, unknown>,
  secret: string,
  alg: "HS256" | "HS384" | "HS512" = "HS256",
) {
  return sign(payload, secret, alg);
}

/** Replaces a signed token's payload, keeping its header and signature. */
export function tamper(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split(".");
  return `${header}.${b64url(JSON.stringify(payload))}.${signature}`;
}

/** A token whose header claims RS256 but is signed (HMAC) with the shared secret. */
export async function confusedToken(
  payload: Record<string, unknown>,
  secret: string,
): Promise<string> {
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${header}.${body}`)),
  );
  return `${header}.${body}.${b64url(sig)}`;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The same signature spelled differently: its last character with the lowest of the bits that no
 * byte uses flipped (an HS256 signature is 43 characters, 2 of those bits). Decodes to the same bytes.
 */
export function respelledSignature(token: string): string {
  const last = token[token.length - 1]!;
  return token.slice(0, -1) + BASE64URL[BASE64URL.indexOf(last) ^ 1];
}
