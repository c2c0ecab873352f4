// The claim rule: which claim names the documents and which the role, lists of either, the
// default role only for an absent claim, and prefixes for listings.
import { describe, expect, it } from "vitest";
import { grantFromClaims, type ClaimRule, type Scope } from "./claims";

const rule: ClaimRule = { docClaim: "https://app.example/docs", roleClaim: "roles" };
const EXP = 2_000_000_000;
const grant = (
  payload: Record<string, unknown>,
  scope: Scope = { docId: "team-1:notes" },
  r: ClaimRule = rule,
) => grantFromClaims(payload, r, scope, EXP);
const DOCS = "https://app.example/docs";

describe("grantFromClaims", () => {
  it("reads the configured claims; a list of roles grants the highest known one", () => {
    expect(grant({ [DOCS]: "team-1:*", roles: ["viewer", "read", "write"], sub: "u" })).toEqual({
      ok: true,
      grant: { role: "write", exp: EXP, sub: "u" },
    });
    expect(grant({ [DOCS]: ["other", "team-1:notes"], roles: "admin" })).toMatchObject({
      ok: true,
      grant: { role: "admin" },
    });
  });

  it("uses the default role only when the role claim is absent", () => {
    const withDefault = { ...rule, defaultRole: "read" as const };
    expect(grant({ [DOCS]: "team-1:notes" }, undefined, withDefault)).toMatchObject({
      ok: true,
      grant: { role: "read" },
    });
    expect(grant({ [DOCS]: "team-1:notes" })).toMatchObject({ ok: false, status: 401 });
    expect(grant({ [DOCS]: "team-1:notes", roles: "owner" }, undefined, withDefault)).toMatchObject(
      { ok: false, status: 401, message: "token roles must be read, write or admin" },
    );
  });

  it("refuses a missing or malformed document claim (401) and another document (403)", () => {
    for (const docs of [undefined, "", [], [1], { id: "team-1:notes" }])
      expect(grant({ [DOCS]: docs, roles: "write" })).toMatchObject({ ok: false, status: 401 });
    expect(grant({ [DOCS]: "team-2:*", roles: "write" })).toMatchObject({
      ok: false,
      status: 403,
      code: "forbidden",
    });
  });

  it("covers a listing only with a prefix claim that includes the whole prefix", () => {
    const payload = { [DOCS]: ["team-1:*"], roles: "admin" };
    expect(grant(payload, { prefix: "team-1:" })).toMatchObject({ ok: true });
    expect(grant(payload, { prefix: "team-" })).toMatchObject({ ok: false, status: 403 });
    expect(grant({ ...payload, [DOCS]: "team-1:a" }, { prefix: "team-1:a" })).toMatchObject({
      ok: false,
      status: 403,
    });
  });
});
