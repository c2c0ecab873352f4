// The role lattice: what a token's `role` claim may say and what each role may do. One
// definition for the token minter (tokens/mint.ts, published without dependencies), the Worker
// that verifies tokens and the Durable Object that enforces the role on every message.

/** Roles in increasing order of power: each includes every permission of those before it. */
export const ROLES = ["read", "write", "admin"] as const;

export type Role = (typeof ROLES)[number];

/** Whether `value` names a role (token claims and handoff headers arrive as strings). */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` includes the permissions of `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Whether `role` may change a document (a read role may only send what it already holds). */
export function canWrite(role: Role): boolean {
  return roleAllows(role, "write");
}
