// Configuration of token verification for identity-provider tokens (RS256/ES256 against a JWKS):
// the options' checks, and the environment variables of the repository's own Worker, whose
// defaults and rules are those of config/settings.ts. See README "Security" and
// docs/configuration.md.
import type { JSONWebKeySet } from "jose";
import { checkOption, parseEnv, readTable } from "../../config/read";
import { SETTINGS } from "../../config/settings";
import { JWT_TABLE } from "../../config/tables";
import { ROLES, type Role } from "../tokens";

/** The asymmetric algorithms a JWKS token may use; HS* and `none` can never be configured. */
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** Algorithms accepted when none are configured: what Auth0, Clerk, Supabase, Firebase sign with. */
export const DEFAULT_ALGORITHMS = [...SETTINGS.JWT_ALGORITHMS.default] as AsymmetricAlgorithm[];
/** Claim that holds the document id or prefix (`team-42:*`), as in our own tokens. */
export const DEFAULT_DOC_CLAIM = SETTINGS.JWT_DOC_CLAIM.default;
/** Claim that holds the role (`read` | `write` | `admin`), as in our own tokens. */
export const DEFAULT_ROLE_CLAIM = SETTINGS.JWT_ROLE_CLAIM.default;
/** Tolerance for the IdP's clock against ours when checking exp and nbf, in seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = SETTINGS.JWT_CLOCK_SKEW_SECONDS.default;
/** Largest tolerance an operator may configure: beyond it an expired token lives on too long. */
export const MAX_CLOCK_SKEW_SECONDS = SETTINGS.JWT_CLOCK_SKEW_SECONDS.max;
/**
 * Least time between two fetches of a remote JWKS by one isolate. A token with an unknown `kid`
 * triggers a refetch (key rotation) only this long after the last one, so a flood of made-up
 * kids costs the IdP at most one request per interval.
 */
export const DEFAULT_JWKS_MIN_REFRESH_MS = SETTINGS.JWKS_MIN_REFRESH_MS.default;
/** Age after which a fetched JWKS is fetched again (keys the IdP withdrew stop working). */
export const DEFAULT_JWKS_MAX_AGE_MS = SETTINGS.JWKS_MAX_AGE_MS.default;
/** How long a JWKS fetch may take before the request that needed it fails with 503. */
export const JWKS_FETCH_TIMEOUT_MS = 5_000;
/** Largest JWKS document accepted (a real one holds a few keys: a few KB). */
export const JWKS_MAX_BYTES = 256 * 1024;

/** Verification of tokens from an identity provider. */
export interface JwtOptions {
  /** URL of the IdP's JWKS (e.g. `https://TENANT.auth0.com/.well-known/jwks.json`). */
  jwksUrl?: string;
  /** Inline public keys instead of (or besides) a URL: `{ keys: [JWK, …] }`. */
  jwks?: JSONWebKeySet;
  /** Required `iss` (one of these). */
  issuer: string | string[];
  /** Required `aud` (the token's audience must contain one of these). */
  audience: string | string[];
  /** Accepted `alg` values; default RS256 and ES256. */
  algorithms?: AsymmetricAlgorithm[];
  /** Claim holding the document id or a prefix ending in `*` (a string or an array of them). */
  docClaim?: string;
  /** Claim holding the role (a string or an array; the highest known role counts). */
  roleClaim?: string;
  /** Role when the token has no role claim; without it such a token is refused. */
  defaultRole?: Role;
  clockSkewSeconds?: number;
  minRefreshMs?: number;
  maxAgeMs?: number;
}

/** JwtOptions with every default filled in and checked. */
export type JwtConfig = Required<Omit<JwtOptions, "jwksUrl" | "jwks" | "defaultRole">> &
  Pick<JwtOptions, "jwksUrl" | "jwks" | "defaultRole">;

/** Fills defaults and refuses a configuration that cannot be safe; throws Error with why. */
export function resolveJwtOptions(options: JwtOptions): JwtConfig {
  if (!options.jwksUrl && !options.jwks) throw new Error("give a JWKS URL or inline JWKs");
  if (options.jwksUrl && !/^https?:\/\//.test(options.jwksUrl))
    throw new Error(`the JWKS URL must be http(s), got ${JSON.stringify(options.jwksUrl)}`);
  const listed = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
  if (!listed(options.issuer).some(Boolean)) throw new Error("an issuer is required");
  if (!listed(options.audience).some(Boolean)) throw new Error("an audience is required");
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  const bad = algorithms.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
  if (bad.length || algorithms.length === 0)
    throw new Error(
      `algorithms must be among ${ASYMMETRIC_ALGORITHMS.join(", ")}; got ${JSON.stringify(algorithms)}`,
    );
  if (options.defaultRole !== undefined && !ROLES.includes(options.defaultRole))
    throw new Error(`the default role must be one of ${ROLES.join(", ")}`);
  const { clockSkewSeconds, minRefreshMs, maxAgeMs } = options;
  checkOption("jwt.clockSkewSeconds", JWT_TABLE.clockSkewSeconds, clockSkewSeconds);
  checkOption("jwt.minRefreshMs", JWT_TABLE.minRefreshMs, minRefreshMs);
  checkOption("jwt.maxAgeMs", JWT_TABLE.maxAgeMs, maxAgeMs);
  return {
    ...options,
    algorithms,
    docClaim: options.docClaim || DEFAULT_DOC_CLAIM,
    roleClaim: options.roleClaim || DEFAULT_ROLE_CLAIM,
    clockSkewSeconds: clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    minRefreshMs: minRefreshMs ?? DEFAULT_JWKS_MIN_REFRESH_MS,
    maxAgeMs: maxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS,
  };
}

/** Whether the environment names an identity provider's keys (JWKS_URL or JWT_JWKS). */
export const jwksConfigured = (env: Record<string, unknown>): boolean =>
  Boolean(parseEnv("JWKS_URL", env.JWKS_URL) || parseEnv("JWT_JWKS", env.JWT_JWKS));

/** The IdP settings of the environment, or null when neither JWKS_URL nor JWT_JWKS is set. */
export function jwtOptionsFromEnv(env: Record<string, unknown>): JwtOptions | null {
  // The others are read only when a JWKS is configured: unused, they break nothing.
  if (!jwksConfigured(env)) return null;
  const { jwksUrl, jwks: inline, defaultRole, algorithms, ...rest } = readTable(JWT_TABLE, env);
  const options: JwtOptions = { ...rest, algorithms: algorithms as AsymmetricAlgorithm[] };
  if (jwksUrl) options.jwksUrl = jwksUrl;
  if (inline) {
    try {
      options.jwks = JSON.parse(inline) as JwtOptions["jwks"];
    } catch {
      throw new Error('JWT_JWKS is not JSON: give { "keys": [ … ] }');
    }
  }
  if (defaultRole) options.defaultRole = defaultRole as Role;
  return options;
}
