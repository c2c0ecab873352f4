// Who may do what: token checks (worker/auth/create-auth.ts) and the origin allow-list, run in the
// Worker before any Durable Object is touched. Fails closed when nothing is configured outside local dev.
import type { Context } from "hono";
import { roleAllows, type Handoff, type Role } from "../durable-objects/contract";
import type { AppEnv } from "./app";
import { authFromEnv, type Auth, type Scope } from "./auth/create-auth";
import { ApiError } from "./errors";

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

/** The Auth a `createAuth(…).middleware` installed, else the one the environment configures. */
export function authOf(c: Context<AppEnv>): Auth {
  return c.get("auth") ?? authFromEnv(c.env);
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
