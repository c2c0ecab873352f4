// What a mount's Auth accepts, in words: the OpenAPI document's `bearer` scheme says it, so a
// generated client's docs name the token this deployment really checks (an app that verifies
// its own identity provider's JWTs is not told to sign HS256 tokens with AUTH_SECRET).
import type { JwtConfig } from "./config";

/** The parts of createAuth's options the description reads. */
export interface DescribedAuth {
  secret?: string | undefined;
  jwt: JwtConfig | null;
  authorize?: unknown;
  openAccess?: boolean | undefined;
}

const names = (value: string | string[]) => (Array.isArray(value) ? value : [value]).join(", ");

export function describeAuth({ secret, jwt, authorize, openAccess }: DescribedAuth): string {
  if (openAccess) return "open access (local development): no token is needed or checked";
  const accepted: string[] = [];
  if (secret)
    accepted.push(
      "an edgesync HS256 JWT signed with this deployment's secret (claims doc, role, exp)",
    );
  if (jwt) {
    const keys = jwt.jwksUrl ? `the JWKS at ${jwt.jwksUrl}` : "the deployment's inline JWKS";
    accepted.push(
      `an identity provider's JWT (${jwt.algorithms.join(", ")}) verified against ${keys}, ` +
        `issuer ${names(jwt.issuer)}, audience ${names(jwt.audience)}; documents in claim ` +
        `${jwt.docClaim}, role in claim ${jwt.roleClaim}`,
    );
  }
  if (authorize) accepted.push("whatever the application's authorize hook accepts");
  if (accepted.length === 0)
    return "no token verification is configured: every request is refused with 503 auth_not_configured";
  return `${accepted.join("; or ")}. See docs/security.md.`;
}
