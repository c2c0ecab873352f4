// Who may do what: token checks and the origin allow-list, run in the Worker before any
// Durable Object is touched. Fails closed when no secret is configured outside local dev.
import type { Context } from "hono";
import type { Handoff } from "../durable-objects/handoff";
import type { AppEnv } from "./app";
import { ApiError } from "./errors";
import {
  roleAllows,
  verifyToken,
  verifyTokenForPrefix,
  type Role,
  type TokenResult,
} from "./tokens";

/** Reads the token from `?token=` (browsers cannot set WebSocket headers) or a Bearer header. */
export function tokenFrom(c: Context): string | null {
  const query = c.req.query("token");
  if (query) return query;
  const header = c.req.header("Authorization");
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match ? match[1]!.trim() : null;
}

/** Authenticates a request for `docId` needing at least `needed`; returns what the DO is told. */
export function authorize(c: Context<AppEnv>, docId: string, needed: Role): Promise<Handoff> {
  return check(c, docId, needed, (token, secret) => verifyToken(token, secret, docId));
}

/** Authenticates a listing of documents under `prefix` (the token's claim must cover it). */
export function authorizePrefix(
  c: Context<AppEnv>,
  prefix: string,
  needed: Role,
): Promise<Handoff> {
  return check(c, prefix, needed, (token, secret) => verifyTokenForPrefix(token, secret, prefix));
}

/** The token secret, or null under local open access; fails closed when neither is configured. */
export function authSecret(c: Context<AppEnv>): string | null {
  const secret = c.env.AUTH_SECRET;
  if (secret) return secret;
  if (c.env.DEV_OPEN_ACCESS === "true") return null;
  throw new ApiError(
    503,
    "auth_not_configured",
    "AUTH_SECRET is not set: set it with `wrangler secret put AUTH_SECRET` (or run locally with `npm start`)",
  );
}

/** The request's token; 401 when it carries none. */
export function requestToken(c: Context): string {
  const token = tokenFrom(c);
  if (!token)
    throw new ApiError(
      401,
      "missing_token",
      "a token is required (?token= or Authorization: Bearer)",
    );
  return token;
}

async function check(
  c: Context<AppEnv>,
  docId: string,
  needed: Role,
  verify: (token: string, secret: string) => Promise<TokenResult>,
): Promise<Handoff> {
  const secret = authSecret(c);
  if (secret === null) return { docId, role: "admin", exp: null };
  const token = requestToken(c);
  const result = await verify(token, secret);
  if (!result.ok) throw new ApiError(result.status, result.code, result.message);
  const { role, exp, sub } = result.claims;
  if (!roleAllows(role, needed))
    throw new ApiError(403, "forbidden", `this needs the ${needed} role; the token has ${role}`);
  return { docId, role, exp, ...(sub ? { sub } : {}) };
}

/** ALLOWED_ORIGINS parsed: `*` (unset, empty, or a `*` entry) allows any origin. */
export function allowedOrigins(env: Env): "*" | string[] {
  const allowed = env.ALLOWED_ORIGINS?.trim();
  if (!allowed) return "*";
  const list = allowed.split(",").map((o) => o.trim().replace(/\/$/, ""));
  return list.includes("*") ? "*" : list;
}

/** Refuses browser requests from origins outside ALLOWED_ORIGINS. */
export function checkOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("Origin");
  const allowed = allowedOrigins(c.env);
  if (origin && allowed !== "*" && !allowed.includes(origin)) {
    throw new ApiError(403, "origin_not_allowed", `origin ${origin} is not in ALLOWED_ORIGINS`);
  }
}
