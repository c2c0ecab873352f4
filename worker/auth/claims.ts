// The rule that turns a verified identity-provider token's claims into what edgesync grants: which
// claim names the document (an id or a `*` prefix, or a list of them) and which the role.
import { ROLES, coversPrefix, docMatches, type Role, type TokenFailure } from "../tokens";

/** What a request asks for: one document, or a listing of the ids under a prefix. */
/**
 * What a request asks for: one document, every document under a prefix, or (`anyDocument`) only
 * that its token is genuine — a batch checks that before reading its body, then each document.
 */
export type Scope = { docId: string } | { prefix: string } | { anyDocument: true };

/** What an authenticated request may do. `exp`: Unix seconds after which a socket is closed. */
export interface Grant {
  role: Role;
  exp: number | null;
  sub?: string;
}

export type GrantResult = { ok: true; grant: Grant } | TokenFailure;

export interface ClaimRule {
  docClaim: string;
  roleClaim: string;
  defaultRole?: Role;
}

const refuse = (status: 401 | 403, message: string): TokenFailure => ({
  ok: false,
  status,
  code: status === 401 ? "invalid_token" : "forbidden",
  message,
});

/** Strings of a claim that is a string or an array of them; null when it is neither. */
function strings(value: unknown): string[] | null {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return null;
}

/** Whether any of the granted ids or prefixes covers `scope`. */
export function covers(granted: string[], scope: Scope): boolean {
  if ("anyDocument" in scope) return granted.length > 0;
  return granted.some((claim) =>
    "docId" in scope ? docMatches(claim, scope.docId) : coversPrefix(claim, scope.prefix),
  );
}

/**
 * Applies `rule` to verified claims. The document claim is required; the role claim falls back
 * to `defaultRole` only when absent (a present but unknown role is refused, not defaulted).
 * `expiresAt` is when the grant ends (exp plus the tolerated clock skew).
 */
export function grantFromClaims(
  payload: Record<string, unknown>,
  rule: ClaimRule,
  scope: Scope,
  expiresAt: number,
): GrantResult {
  const docs = strings(payload[rule.docClaim])?.filter(Boolean) ?? [];
  if (docs.length === 0) return refuse(401, `token has no ${rule.docClaim} claim`);
  const rawRole = payload[rule.roleClaim];
  let role: Role | undefined;
  if (rawRole === undefined) role = rule.defaultRole;
  else {
    const known = (strings(rawRole) ?? []).filter((r): r is Role => ROLES.includes(r as Role));
    role = known.sort((a, b) => ROLES.indexOf(b) - ROLES.indexOf(a))[0];
  }
  if (!role)
    return refuse(
      401,
      rawRole === undefined
        ? `token has no ${rule.roleClaim} claim`
        : `token ${rule.roleClaim} must be read, write or admin`,
    );
  if (!covers(docs, scope)) return refuse(403, "token does not grant access to this document");
  const sub = payload.sub;
  return {
    ok: true,
    grant: { role, exp: expiresAt, ...(typeof sub === "string" && sub ? { sub } : {}) },
  };
}
