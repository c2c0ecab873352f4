// `createAuth(options)`: how the Worker authenticates a request for a document — our HS256 tokens,
// an identity provider's tokens checked against its JWKS, an `authorize` hook for anything else,
// or open access for local development. Installed with `app.use(auth.middleware)`; the
// repository's own Worker builds its options from the environment (authFromEnv).
import { decodeProtectedHeader } from "jose";
import type { MiddlewareHandler } from "hono";
import { readTable } from "../../config/read";
import { AUTH_TABLE } from "../../config/tables";
import type { AppEnv } from "../app";
import { ApiError } from "../errors";
import { ROLES, verifyToken, verifyTokenClaims, verifyTokenForPrefix, type Role } from "../tokens";
import type { Grant, GrantResult, Scope } from "./claims";
import { jwtOptionsFromEnv, resolveJwtOptions, type JwtConfig, type JwtOptions } from "./config";
import { describeAuth } from "./describe";
import { JwksUnavailable, checkInlineKeys, verifyIdpToken } from "./jwks";

export type { Grant, Scope } from "./claims";
export type { JwtOptions } from "./config";

/** The hook's answer: a grant, or a refusal (401 who are you / 403 not allowed). */
export type AuthorizeResult =
  | { role: Role; sub?: string; /** Unix seconds; a socket is closed then. */ exp?: number }
  | { refuse: 401 | 403; code?: string; message?: string };

/**
 * Decides requests no configured token verifier claims (no token, an API key, a session cookie,
 * a JWT of an algorithm not configured). `docId` is the document, or `prefix*` for a listing of
 * the ids under a prefix (ids never contain `*`).
 */
export type AuthorizeHook = (
  request: Request,
  docId: string,
) => AuthorizeResult | Promise<AuthorizeResult>;

export interface AuthOptions {
  /** Secret of edgesync's HS256 tokens (`edgesync/tokens` mints them). */
  secret?: string;
  /** Tokens of an identity provider (RS256/ES256 against a JWKS). */
  jwt?: JwtOptions;
  authorize?: AuthorizeHook;
  /** Everyone is admin. Local development only; cannot be combined with the options above. */
  openAccess?: boolean;
}

// `c.get("auth")`: declared here, where Auth lives, so app.ts imports nothing back.
declare module "../app" {
  interface AppVariables {
    auth?: Auth;
  }
}

export interface Auth {
  /** The grant for `request` on `scope`, or an ApiError (401/403, 503 when keys are unreachable). */
  authenticate(request: Request, scope: Scope): Promise<Grant>;
  /** Makes the routes after it authenticate with this Auth. */
  middleware: MiddlewareHandler<AppEnv>;
  /** What a token must be, in words (the OpenAPI document's bearer scheme); see describe.ts. */
  readonly scheme?: string;
}

/** Reads the token from `?token=` (browsers cannot set WebSocket headers) or a Bearer header. */
export function tokenOf(request: Request): string | null {
  const query = new URL(request.url).searchParams.get("token");
  if (query) return query;
  const match = request.headers.get("Authorization")?.match(/^Bearer\s+(.+)$/i);
  return match ? match[1]!.trim() : null;
}

/** The `alg` a token's header claims, or null when it has no readable header. */
function algOf(token: string): string | null {
  try {
    const { alg } = decodeProtectedHeader(token);
    return typeof alg === "string" ? alg : null;
  } catch {
    return null;
  }
}

function fromResult(result: GrantResult): Grant {
  if (!result.ok) throw new ApiError(result.status, result.code, result.message);
  return result.grant;
}

function fromHook(result: AuthorizeResult): Grant {
  if ("refuse" in result) {
    const status = result.refuse === 403 ? 403 : 401;
    const code = result.code ?? (status === 403 ? "forbidden" : "unauthorized");
    throw new ApiError(status, code, result.message ?? "the request was refused");
  }
  if (!ROLES.includes(result.role))
    throw new Error(`authorize hook returned role ${JSON.stringify(result.role)}`);
  return {
    role: result.role,
    exp: typeof result.exp === "number" ? result.exp : null,
    ...(result.sub ? { sub: result.sub } : {}),
  };
}

async function hs256(token: string, secret: string, scope: Scope): Promise<Grant> {
  const result =
    "docId" in scope
      ? await verifyToken(token, secret, scope.docId)
      : "prefix" in scope
        ? await verifyTokenForPrefix(token, secret, scope.prefix)
        : await verifyTokenClaims(token, secret);
  if (!result.ok) throw new ApiError(result.status, result.code, result.message);
  const { role, exp, sub } = result.claims;
  return { role, exp, ...(sub ? { sub } : {}) };
}

const notConfigured = () =>
  new ApiError(
    503,
    "auth_not_configured",
    "no token verification is configured: set AUTH_SECRET (`wrangler secret put AUTH_SECRET`) or JWKS_URL with JWT_ISSUER and JWT_AUDIENCE (or run locally with `npm start`)",
  );

/** Builds an Auth; throws Error on options that cannot be safe (a missing issuer, HS256 for JWKS…). */
export function createAuth(options: AuthOptions): Auth {
  const { secret, authorize } = options;
  const jwt: JwtConfig | null = options.jwt ? resolveJwtOptions(options.jwt) : null;
  if (jwt) checkInlineKeys(jwt);
  const configured = Boolean(secret || jwt || authorize);
  if (options.openAccess && configured)
    throw new Error("openAccess cannot be combined with a secret, JWKS or authorize hook");

  async function authenticate(request: Request, scope: Scope): Promise<Grant> {
    if (!configured) {
      if (options.openAccess) return { role: "admin", exp: null };
      throw notConfigured();
    }
    const token = tokenOf(request);
    const alg = token ? algOf(token) : null;
    // Each verifier pins its own algorithms and keys, so picking one by the unverified header
    // cannot make a public key serve as an HMAC secret (algorithm confusion).
    if (token && jwt && alg && (jwt.algorithms as string[]).includes(alg)) {
      try {
        return fromResult(await verifyIdpToken(token, jwt, scope));
      } catch (err) {
        if (!(err instanceof JwksUnavailable)) throw err;
        console.error(`edgesync: ${err.message}`);
        throw new ApiError(503, "jwks_unavailable", "the identity provider's keys are unavailable");
      }
    }
    if (token && secret && (!authorize || alg === "HS256")) return hs256(token, secret, scope);
    if (authorize) {
      // The hook decides per document; a request that names none yet (a batch before its body
      // is read) is let through to be asked about each of its documents.
      if ("anyDocument" in scope) return { role: "read", exp: null };
      return fromHook(
        await authorize(request, "docId" in scope ? scope.docId : `${scope.prefix}*`),
      );
    }
    if (!token)
      throw new ApiError(
        401,
        "missing_token",
        "a token is required (?token= or Authorization: Bearer)",
      );
    throw new ApiError(
      401,
      "invalid_token",
      `token algorithm ${alg ?? "(unreadable)"} is not accepted (accepted: ${jwt!.algorithms.join(", ")})`,
    );
  }

  const auth: Auth = {
    authenticate,
    middleware: async (c, next) => {
      c.set("auth", auth);
      await next();
    },
    scheme: describeAuth({ ...options, jwt }),
  };
  return auth;
}

/** One Auth per environment object (an isolate's requests share it, and with it the JWKS cache). */
const envAuths = new WeakMap<object, Auth>();

/**
 * The repository's Worker: AUTH_SECRET, JWKS_URL / JWT_JWKS with JWT_ISSUER and JWT_AUDIENCE (see
 * README "Configuration"), open when none is set and DEV_OPEN_ACCESS is "true" (`npm start`). A
 * configuration that cannot be safe refuses every request with 503 and says why.
 */
export function authFromEnv(env: Record<string, unknown>): Auth {
  let auth = envAuths.get(env);
  if (!auth) {
    try {
      const jwt = jwtOptionsFromEnv(env);
      const { secret, openAccess } = readTable(AUTH_TABLE, env);
      auth = createAuth({
        ...(secret ? { secret } : {}),
        ...(jwt ? { jwt } : {}),
        openAccess: !secret && !jwt && openAccess,
      });
    } catch (err) {
      const message = `auth configuration: ${(err as Error).message}`;
      auth = {
        authenticate: () => Promise.reject(new ApiError(503, "auth_not_configured", message)),
        middleware: async (_c, next) => next(),
      };
    }
    envAuths.set(env, auth);
  }
  return auth;
}
