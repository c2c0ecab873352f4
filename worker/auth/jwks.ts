// Verifies identity-provider tokens (RS256/ES256, …) with `jose` against a JWKS fetched from a
// URL or given inline: the algorithm pinned to the configured asymmetric ones, issuer, audience
// and exp required, clock skew bounded, and the remote key set cached per isolate and refetched
// on an unknown `kid` at most once per minimum interval.
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import { isCanonicalJwt, type TokenFailure } from "../tokens";
import { grantFromClaims, type GrantResult, type Scope } from "./claims";
import { JWKS_FETCH_TIMEOUT_MS, JWKS_MAX_BYTES, type JwtConfig } from "./config";

/** The key set could not be had from the IdP: a transient refusal (503), the client may retry. */
export class JwksUnavailable extends Error {
  override name = "JwksUnavailable";
}

/** One isolate's copy of a remote JWKS. Workers keep module state between an isolate's requests. */
interface RemoteState {
  keys: JWTVerifyGetKey | null;
  /** When the keys in hand were fetched (ms). */
  fetchedAt: number;
  /** When the last fetch started (ms): set before it is awaited, so concurrent requests see it. */
  attemptedAt: number;
  /** A fetch is under way: other requests wait for its outcome instead of fetching too. */
  fetching: boolean;
  /** When the last fetch failed (ms), and why. */
  failedAt: number;
  failure: string;
}
const remote = new Map<string, RemoteState>();

/**
 * How often a request waiting for another request's fetch looks at its outcome. Polled, not a
 * shared promise: workerd does not let one request await I/O started by another.
 */
const JWKS_WAIT_POLL_MS = 10;

/** The body of `res`, read as it streams and abandoned past `maxBytes` (never read whole first). */
async function cappedText(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get("Content-Length"));
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new JwksUnavailable(`the JWKS is larger than ${maxBytes} bytes`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new JwksUnavailable(`the JWKS is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) (body.set(chunk, at), (at += chunk.byteLength));
  return new TextDecoder().decode(body);
}

/** The JWK `kty` of an algorithm's keys. */
const keyTypeOf = (alg: string) => (alg.startsWith("ES") ? "EC" : alg === "EdDSA" ? "OKP" : "RSA");

/** Keys a token could be verified with: signing keys of a configured algorithm's family. */
function usableKeys(set: JSONWebKeySet, config: JwtConfig): JSONWebKeySet {
  if (!set || !Array.isArray(set.keys)) throw new Error("no keys array");
  const families = new Set<string>(config.algorithms.map(keyTypeOf));
  const keys = set.keys.filter(
    (key) =>
      families.has(String(key.kty)) &&
      (key.use === undefined || key.use === "sig") &&
      (key.alg === undefined || (config.algorithms as string[]).includes(key.alg)),
  );
  return { keys };
}

async function fetchKeySet(url: string, config: JwtConfig): Promise<JWTVerifyGetKey> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Accept: "application/json, application/jwk-set+json" },
      redirect: "manual",
      signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw new JwksUnavailable(`fetching the JWKS failed: ${(err as Error).message}`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new JwksUnavailable(`the JWKS URL answered ${res.status}`);
  }
  let body: string;
  try {
    body = await cappedText(res, JWKS_MAX_BYTES);
  } catch (err) {
    if (err instanceof JwksUnavailable) throw err;
    throw new JwksUnavailable(`reading the JWKS failed: ${(err as Error).message}`);
  }
  let set: JSONWebKeySet;
  try {
    set = usableKeys(JSON.parse(body) as JSONWebKeySet, config);
  } catch (err) {
    throw new JwksUnavailable(`the JWKS is malformed: ${(err as Error).message}`);
  }
  // Cached as good, a set no token can be verified with would refuse every token until a refetch.
  if (set.keys.length === 0)
    throw new JwksUnavailable(`the JWKS has no ${config.algorithms.join("/")} signing keys`);
  return createLocalJWKSet(set);
}

/** Fetches `url`'s key set into `state`, or waits for the fetch under way; failures rethrown. */
async function refresh(url: string, state: RemoteState, config: JwtConfig) {
  if (state.fetching) return waitForFetch(state);
  state.attemptedAt = Date.now();
  state.fetching = true;
  try {
    state.keys = await fetchKeySet(url, config);
    state.fetchedAt = Date.now();
    return state.keys;
  } catch (err) {
    state.failedAt = Date.now();
    state.failure = (err as Error).message;
    throw err;
  } finally {
    state.fetching = false;
  }
}

/** The outcome of the fetch another request started: its keys, or its failure. */
async function waitForFetch(state: RemoteState): Promise<JWTVerifyGetKey> {
  const started = state.attemptedAt;
  const deadline = started + JWKS_FETCH_TIMEOUT_MS + JWKS_WAIT_POLL_MS;
  while (state.fetching && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, JWKS_WAIT_POLL_MS));
  if (state.keys && state.fetchedAt >= started) return state.keys;
  throw new JwksUnavailable(`the JWKS could not be fetched: ${state.failure || "timed out"}`);
}

/** The remote key set to verify with now: fetched when missing, refreshed when past its age. */
async function remoteKeys(url: string, config: JwtConfig): Promise<JWTVerifyGetKey> {
  let state = remote.get(url);
  if (!state) {
    state = { keys: null, fetchedAt: 0, attemptedAt: 0, fetching: false, failedAt: 0, failure: "" };
    remote.set(url, state);
  }
  const now = Date.now();
  const recentAttempt = now - state.attemptedAt < config.minRefreshMs;
  if (!state.keys) {
    // Concurrent requests share the fetch under way; one that failed is retried only after the
    // interval.
    if (!state.fetching && recentAttempt && state.failedAt >= state.attemptedAt)
      throw new JwksUnavailable(`the JWKS could not be fetched: ${state.failure}`);
    return refresh(url, state, config);
  }
  if (now - state.fetchedAt >= config.maxAgeMs && !recentAttempt && !state.fetching) {
    // Past its age: refetch, but an IdP that is down does not lock everyone out meanwhile.
    await refresh(url, state, config).catch((err: Error) =>
      console.error(`edgesync: JWKS refresh failed, using the cached keys: ${err.message}`),
    );
  }
  return state.keys;
}

/** After an unknown `kid`: the refetched remote key set, or null if one was fetched too recently. */
async function renewedRemoteKeys(url: string, config: JwtConfig): Promise<JWTVerifyGetKey | null> {
  const state = remote.get(url);
  if (state?.fetching) return waitForFetch(state);
  if (state && Date.now() - state.attemptedAt < config.minRefreshMs) return null;
  return state ? refresh(url, state, config) : remoteKeys(url, config);
}

/** Tries the inline keys first, then the remote set. */
function combined(
  inline: JWTVerifyGetKey | null,
  fromUrl: JWTVerifyGetKey | null,
): JWTVerifyGetKey {
  return async (header, token) => {
    if (inline && fromUrl) {
      try {
        return await inline(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      }
    }
    return (inline && !fromUrl ? inline : fromUrl!)(header, token);
  };
}

const inlineSets = new WeakMap<object, JWTVerifyGetKey>();
function inlineKeys(config: JwtConfig): JWTVerifyGetKey | null {
  if (!config.jwks) return null;
  let keys = inlineSets.get(config.jwks);
  if (!keys) {
    keys = createLocalJWKSet(config.jwks);
    inlineSets.set(config.jwks, keys);
  }
  return keys;
}

/** Refuses an inline key set that jose cannot read (at configuration, not at the first request). */
export function checkInlineKeys(config: JwtConfig): void {
  inlineKeys(config);
}

const invalid = (message: string): TokenFailure => ({
  ok: false,
  status: 401,
  code: "invalid_token",
  message,
});

/** Why jose refused a token, said for the client (never the key material). */
function failureOf(err: unknown, config: JwtConfig): TokenFailure {
  if (!(err instanceof errors.JOSEError)) return invalid("token is invalid");
  if (err instanceof errors.JWTExpired) return invalid("token has expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return invalid("token is not valid yet");
    if (err.claim === "iss") return invalid("token issuer is not accepted");
    if (err.claim === "aud") return invalid("token audience is not accepted");
    if (err.claim === "exp") return invalid("token has no valid exp claim");
    return invalid(`token claim ${err.claim} is invalid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return invalid(`token algorithm is not accepted (accepted: ${config.algorithms.join(", ")})`);
  if (err instanceof errors.JWKSNoMatchingKey)
    return invalid("no key of the JWKS matches the token");
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return invalid("token signature is invalid");
  return invalid("token is invalid");
}

/** jwtVerify, trying each candidate when a token without `kid` matches several keys. */
async function verifyWith(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions) {
  try {
    return await jwtVerify(token, keys, options);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    for await (const key of err as unknown as AsyncIterable<CryptoKey>) {
      try {
        return await jwtVerify(token, key, options);
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/**
 * Verifies an IdP token for `scope` and maps its claims to a grant. Throws JwksUnavailable when
 * the keys cannot be had; every refusal of the token itself is a TokenFailure.
 */
export async function verifyIdpToken(
  token: string,
  config: JwtConfig,
  scope: Scope,
): Promise<GrantResult> {
  if (!isCanonicalJwt(token)) return invalid("token is not three canonical base64url segments");
  const options: JWTVerifyOptions = {
    algorithms: config.algorithms,
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockSkewSeconds,
    requiredClaims: ["exp"],
  };
  const inline = inlineKeys(config);
  const url = config.jwksUrl;
  let payload: Record<string, unknown>;
  try {
    try {
      const keys = combined(inline, url ? await remoteKeys(url, config) : null);
      ({ payload } = await verifyWith(token, keys, options));
    } catch (err) {
      // A kid we do not know may be a key the IdP has rotated in since we fetched.
      if (!(err instanceof errors.JWKSNoMatchingKey) || !url) throw err;
      const renewed = await renewedRemoteKeys(url, config);
      if (!renewed) throw err;
      ({ payload } = await verifyWith(token, combined(inline, renewed), options));
    }
  } catch (err) {
    if (err instanceof JwksUnavailable) throw err;
    return failureOf(err, config);
  }
  const exp = payload.exp as number;
  return grantFromClaims(payload, config, scope, exp + config.clockSkewSeconds);
}
