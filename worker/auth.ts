// Who may do what: token checks (worker/auth/create-auth.ts) and the origin allow-list, run in the
// Worker before any Durable Object is touched. Fails closed when nothing is configured outside local dev.
import type { Context } from "hono";
import { roleAllows, type Handoff, type Role } from "../durable-objects/contract";
import type { AppEnv } from "./app";
import type { Auth, Scope } from "./auth/create-auth";
import { ApiError } from "./errors";
import { settingsOf } from "./settings";

/** Authenticates a request for `docId` needing at least `needed`; returns what the DO is told. */
export function authorize(c: Context<AppEnv>, docId: string, needed: Role): Promise<Handoff> {
  return check(c, docId, { docId }, needed);
}

/** Authenticates a listing of documents under `prefix` (the token's claim must cover it). */
export function authorizePrefix(
  c: Context<AppEnv>,
  prefix: string,
  needed: Role,
): Promise<Handoff> {
  return check(c, prefix, { prefix }, needed);
}

/** The Auth a `createAuth(…).middleware` installed, else the mount's (options, then environment). */
export function authOf(c: Context<AppEnv>): Auth {
  return c.get("auth") ?? settingsOf(c).auth(c.env);
}

async function check(
  c: Context<AppEnv>,
  docId: string,
  scope: Scope,
  needed: Role,
): Promise<Handoff> {
  const { role, exp, sub } = await authOf(c).authenticate(c.req.raw, scope);
  if (!roleAllows(role, needed))
    throw new ApiError(403, "forbidden", `this needs the ${needed} role; the token has ${role}`);
  return { docId, role, exp, ...(sub ? { sub } : {}) };
}

/** The origins browsers may call from: the `allowedOrigins` option, else ALLOWED_ORIGINS. */
export function allowedOrigins(c: Context<AppEnv>): "*" | string[] {
  return settingsOf(c).allowedOrigins(c.env);
}

/** Refuses browser requests from origins outside ALLOWED_ORIGINS. */
export function checkOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("Origin");
  const allowed = allowedOrigins(c);
  if (origin && allowed !== "*" && !allowed.includes(origin)) {
    throw new ApiError(403, "origin_not_allowed", `origin ${origin} is not in ALLOWED_ORIGINS`);
  }
}
