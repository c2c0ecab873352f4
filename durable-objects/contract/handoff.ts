// What the Worker tells a document's Durable Object about an authenticated request. The DO
// is reachable only through the Worker, which strips these headers from client requests.
import { isRole, type Role } from "../../protocol/roles";

export const HANDOFF_HEADERS = {
  docId: "x-edgesync-doc",
  role: "x-edgesync-role",
  exp: "x-edgesync-exp",
  sub: "x-edgesync-sub",
} as const;

export interface Handoff {
  docId: string;
  role: Role;
  /** Token expiry (Unix seconds) or null when auth is off. */
  exp: number | null;
  sub?: string;
}

// The document name and the token's subject are any Unicode text (protocol/doc-name.ts), which a
// header value cannot hold (bytes 0x20–0xFF only, trimmed): both travel percent-encoded.

export function readHandoff(headers: Headers): Handoff {
  const docId = decoded(headers.get(HANDOFF_HEADERS.docId));
  const role = headers.get(HANDOFF_HEADERS.role);
  if (!docId || !isRole(role)) {
    throw new Error("request did not come through the edgesync Worker");
  }
  const exp = headers.get(HANDOFF_HEADERS.exp);
  const sub = decoded(headers.get(HANDOFF_HEADERS.sub)) ?? undefined;
  return { docId, role, exp: exp ? Number(exp) : null, ...(sub ? { sub } : {}) };
}

export function writeHandoff(headers: Headers, handoff: Handoff): void {
  headers.set(HANDOFF_HEADERS.docId, encodeURIComponent(handoff.docId));
  headers.set(HANDOFF_HEADERS.role, handoff.role);
  if (handoff.exp !== null) headers.set(HANDOFF_HEADERS.exp, String(handoff.exp));
  if (handoff.sub) headers.set(HANDOFF_HEADERS.sub, encodeURIComponent(handoff.sub));
}

function decoded(value: string | null): string | null {
  if (value === null) return null;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new Error("request did not come through the edgesync Worker");
  }
}
