// `edgesync/tokens`: mints the HS256 tokens the Worker verifies (worker/tokens.ts), for
// application backends on Node >= 18 or Workers. Dependency-free: WebCrypto only, so a client
// app that installs edgesync pulls in no JWT library.

import { isRole, ROLES, type Role } from "../protocol/roles";

export { ROLES, type Role };

export interface TokenClaims {
  /** A document id, or a prefix ending in `*` (e.g. `team-42:*`). */
  doc: string;
  role: Role;
  /** Expiry, Unix seconds (required). */
  exp: number;
  /** Not valid before, Unix seconds. */
  nbf?: number;
  sub?: string;
}

export interface CreateTokenOptions {
  doc: string;
  role: Role;
  /** Lifetime in seconds (default 3600). */
  ttlSeconds?: number;
  sub?: string;
  nbf?: number;
  /** Clock override for tests, in milliseconds. */
  now?: number;
}

/** Lifetime of a token when `ttlSeconds` is not given (one hour). */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** The only header we sign with: the Worker pins HS256 when verifying. */
const HEADER = { alg: "HS256", typ: "JWT" };

/** Mints an HS256 token for one document (or prefix) and role. */
export async function createToken(secret: string, options: CreateTokenOptions): Promise<string> {
  if (!secret) throw new Error("createToken: secret is empty");
  if (!isRole(options.role))
    throw new Error(`createToken: role must be one of ${ROLES.join(", ")}`);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const claims: TokenClaims = {
    doc: options.doc,
    role: options.role,
    exp: now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
  };
  if (options.sub) claims.sub = options.sub;
  if (options.nbf !== undefined) claims.nbf = options.nbf;
  const body = `${base64url(utf8(JSON.stringify(HEADER)))}.${base64url(utf8(JSON.stringify(claims)))}`;
  const subtle = await webCrypto();
  const key = await subtle.importKey(
    "raw",
    utf8(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return `${body}.${base64url(new Uint8Array(await subtle.sign("HMAC", key, utf8(body))))}`;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Unpadded base64url (RFC 7515 §2), as JWTs require. */
function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The global WebCrypto (Workers, browsers, Node >= 19), else Node 18's `node:crypto`, where
 * the global needs a flag. The specifier is a variable so bundlers for Workers do not try to
 * resolve a Node built-in that is never loaded there.
 */
async function webCrypto(): Promise<SubtleCrypto> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (subtle) return subtle;
  const nodeCrypto = "node:crypto";
  const { webcrypto } = (await import(/* @vite-ignore */ nodeCrypto)) as {
    webcrypto?: { subtle: SubtleCrypto };
  };
  if (!webcrypto)
    throw new Error("createToken: WebCrypto (crypto.subtle) is not available in this runtime");
  return webcrypto.subtle;
}
