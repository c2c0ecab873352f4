// Who may do what: token checks (worker/auth/create-auth.ts) and the origin allow-list, run in the
// Worker before any Durable Object is touched. Fails closed when nothing is configured outside local dev.
// Every socket door reaches a document's token check through `authenticate` below: /sync calls it,
// both relays open their channels through /sync (worker/relay/), and batch sync calls it per document.
import type { Context } from "hono";
import { roleAllows, type Handoff, type Role } from "../durable-objects/contract";
import type { AppEnv } from "./app";
import { tokenOf, type Auth, type Grant } from "./auth/create-auth";
import { ApiError } from "./errors";
import { settingsOf } from "./settings";

/**
 * The one check of `token` for the document `docId`, by `auth`, with the rest of `request` (its
 * headers, for an `authorize` hook). A token other than the request's own is checked as if it came
 * as a Bearer header (a Hocuspocus Auth frame, a batch document's own token).
 */
export function authenticate(
  auth: Auth,
  docId: string,
  token: string | null,
  request: Request,
): Promise<Grant> {
  const asSent = token === tokenOf(request) ? request : withBearer(request, token);
  return auth.authenticate(asSent, { docId });
}

/** `request` carrying `token` as its Bearer header and no `?token=` (none when `token` is empty). */
export function withBearer(request: Request, token: string | null): Request {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  setBearer(url, headers, token);
  return new Request(url, { headers });
}

/** Makes `url` and `headers` carry `token` as the Bearer header only (the one way to build one). */
export function setBearer(url: URL, headers: Headers, token: string | null): void {
  url.searchParams.delete("token");
  headers.delete("Authorization");
  if (token) headers.set("Authorization", `Bearer ${token}`);
}

/**
 * A channel request a relay (worker/relay/) dispatches through the app's own /sync route: the Auth
 * of the relay's socket (a `createAuth(…).middleware` installed in front of the mount applies to
 * the channels too, though they are dispatched inside the mount), and the grant the route made.
 */
export interface RelayTicket {
  auth: Auth;
  handoff: Handoff | null;
  /** Why the route refused the channel (told here, not in a JSON body the relay would parse). */
  refusal: ApiError | null;
}
const tickets = new WeakMap<Request, RelayTicket>();

/** Marks `request` as a relay's channel request authenticated by `auth`; returns its ticket. */
export function relayTicket(request: Request, auth: Auth): RelayTicket {
  const ticket: RelayTicket = { auth, handoff: null, refusal: null };
  tickets.set(request, ticket);
  return ticket;
}

/**
 * A relay channel's refusal, handed to the relay on its ticket with a bare status (no JSON body to
 * build and parse per refusal); null when the request is not a relay's channel.
 */
export function refuseRelayed(c: Context<AppEnv>, err: ApiError): Response | null {
  const ticket = tickets.get(c.req.raw);
  if (!ticket) return null;
  ticket.refusal = err;
  return new Response(null, { status: err.status });
}

/** Authenticates a request for `docId` needing at least `needed`; returns what the DO is told. */
export async function authorize(c: Context<AppEnv>, docId: string, needed: Role): Promise<Handoff> {
  const request = c.req.raw;
  const grant = await authenticate(authOf(c), docId, tokenOf(request), request);
  const handoff = toHandoff(docId, grant, needed);
  const ticket = tickets.get(request);
  if (ticket) ticket.handoff = handoff;
  return handoff;
}

/** Authenticates a listing of documents under `prefix` (the token's claim must cover it). */
export async function authorizePrefix(
  c: Context<AppEnv>,
  prefix: string,
  needed: Role,
): Promise<Handoff> {
  return toHandoff(prefix, await authOf(c).authenticate(c.req.raw, { prefix }), needed);
}

/**
 * The Auth a `createAuth(…).middleware` installed (in front of this request, or of the relay
 * socket that dispatched it), else the mount's (options, then environment).
 */
export function authOf(c: Context<AppEnv>): Auth {
  return c.get("auth") ?? tickets.get(c.req.raw)?.auth ?? settingsOf(c).auth(c.env);
}

function toHandoff(docId: string, { role, exp, sub }: Grant, needed: Role): Handoff {
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
