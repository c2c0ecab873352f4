// A test identity provider: key pairs generated in the test (jose, WebCrypto), tokens signed with
// them, and the JWKS the Worker fetches, served by test/helpers/jwks-server.ts.
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";

export const JWT_TEST_ISSUER = "https://idp.edgesync.test/";
export const JWT_TEST_AUDIENCE = "edgesync-tests";

export interface TestKey {
  alg: "RS256" | "ES256";
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as a JWK, with kid, alg and use. */
  jwk: JWK;
}

let keyCounter = 0;
export async function testKey(alg: "RS256" | "ES256"): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${Date.now().toString(36)}-${keyCounter++}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { alg, kid, privateKey, publicKey, jwk };
}

export interface SignOptions {
  issuer?: string;
  audience?: string;
  /** Seconds from now; default 600. */
  expiresIn?: number;
  notBefore?: number;
  /** Header kid; default the key's. */
  kid?: string;
  omitExp?: boolean;
}

/** Signs `claims` with `key` as the IdP would (iss, aud, iat, exp set unless told otherwise). */
export function idpToken(
  key: TestKey,
  claims: Record<string, unknown>,
  options: SignOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: "JWT" })
    .setIssuer(options.issuer ?? JWT_TEST_ISSUER)
    .setAudience(options.audience ?? JWT_TEST_AUDIENCE)
    .setIssuedAt(now);
  if (!options.omitExp) jwt.setExpirationTime(now + (options.expiresIn ?? 600));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(key.privateKey);
}

/** The stand-in IdP behind `jwksUrl` (JWKS_URL of the workerd-idp project). */
export function idpControl(jwksUrl: string) {
  const origin = new URL(jwksUrl).origin;
  return {
    async publish(...keys: TestKey[]): Promise<void> {
      const res = await fetch(`${origin}/control/jwks`, {
        method: "PUT",
        body: JSON.stringify({ keys: keys.map((k) => k.jwk) }),
      });
      if (!res.ok) throw new Error(`publishing the JWKS failed: ${res.status}`);
    },
    async fetches(): Promise<number> {
      const res = await fetch(`${origin}/control/fetches`);
      return ((await res.json()) as { fetches: number }).fetches;
    },
  };
}
