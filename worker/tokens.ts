// HS256 token verification in the Worker, before any Durable Object is touched. The algorithm
// is pinned.
import { verify } from "hono/jwt";
import { isRole, type Role } from "../protocol/roles";
import type { TokenClaims } from "../tokens/mint";

// Minting lives in tokens/mint.ts (published as `edgesync/tokens`, no dependencies).
export {
  ROLES,
  createToken,
  type CreateTokenOptions,
  type Role,
  type TokenClaims,
} from "../tokens/mint";

export type TokenFailure = { ok: false; status: 401 | 403; code: string; message: string };
export type TokenResult = { ok: true; claims: TokenClaims } | TokenFailure;

/** Verifies a token for `docId`: signature (HS256 only), exp (required), nbf, claims, scope. */
export function verifyToken(token: string, secret: string, docId: string): Promise<TokenResult> {
  return verifyClaims(token, secret, (claim) => docMatches(claim, docId));
}

/** Verifies a token whose `doc` claim must cover every id under `prefix` (for listing). */
export function verifyTokenForPrefix(
  token: string,
  secret: string,
  prefix: string,
): Promise<TokenResult> {
  return verifyClaims(token, secret, (claim) => coversPrefix(claim, prefix));
}

/** Verifies a token whatever document it names (a batch checks each document's cover itself). */
export function verifyTokenClaims(token: string, secret: string): Promise<TokenResult> {
  return verifyClaims(token, secret, () => true);
}

/**
 * One canonical unpadded base64url segment: whole quads, then 2 or 3 characters whose unused low
 * bits are zero. Decoders ignore padding and those bits, so without this check one token would
 * have many spellings (`sig=`, a different last character) that all verify.
 */
const CANONICAL_SEGMENT =
  /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$/;

/** Whether `token` is exactly three canonical unpadded base64url segments (any algorithm). */
export function isCanonicalJwt(token: string): boolean {
  const segments = token.split(".");
  return segments.length === 3 && segments.every((segment) => CANONICAL_SEGMENT.test(segment));
}

async function verifyClaims(
  token: string,
  secret: string,
  covers: (claim: string) => boolean,
): Promise<TokenResult> {
  if (!isCanonicalJwt(token)) {
    return {
      ok: false,
      status: 401,
      code: "invalid_token",
      message: "token is not three canonical base64url segments",
    };
  }
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, secret, { alg: "HS256" })) as Record<string, unknown>;
  } catch (err) {
    const name = (err as Error).name;
    const message =
      name === "JwtTokenExpired"
        ? "token has expired"
        : name === "JwtTokenNotBefore"
          ? "token is not valid yet"
          : "token is invalid";
    return { ok: false, status: 401, code: "invalid_token", message };
  }
  const { doc, role, exp, nbf, sub } = payload;
  if (typeof exp !== "number")
    return { ok: false, status: 401, code: "invalid_token", message: "token has no exp claim" };
  if (typeof doc !== "string" || doc === "") {
    return { ok: false, status: 401, code: "invalid_token", message: "token has no doc claim" };
  }
  if (!isRole(role)) {
    return {
      ok: false,
      status: 401,
      code: "invalid_token",
      message: "token role must be read, write or admin",
    };
  }
  if (!covers(doc)) {
    return {
      ok: false,
      status: 403,
      code: "forbidden",
      message: "token does not grant access to this document",
    };
  }
  const claims: TokenClaims = { doc, role, exp };
  if (typeof nbf === "number") claims.nbf = nbf;
  if (typeof sub === "string") claims.sub = sub;
  return { ok: true, claims };
}

/** `claim` is an exact id or a prefix ending in `*` (`*` alone matches every document). */
export function docMatches(claim: string, docId: string): boolean {
  return claim.endsWith("*") ? docId.startsWith(claim.slice(0, -1)) : claim === docId;
}

/** `claim` is a prefix ending in `*` under which every id starting with `prefix` falls. */
export function coversPrefix(claim: string, prefix: string): boolean {
  return claim.endsWith("*") && prefix.startsWith(claim.slice(0, -1));
}
