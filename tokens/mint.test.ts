// The dependency-free minting agrees byte for byte with hono/jwt's HS256 `sign` (which the
// Worker's verification is built on), and the Worker accepts what it mints.
import { sign } from "hono/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyToken } from "../worker/tokens";
import { createToken, DEFAULT_TOKEN_TTL_SECONDS, ROLES, type TokenClaims } from "./mint";

const SECRET = "mint-test-secret ✓ with non-ASCII";
const NOW_MS = 1_790_000_000_123;
const NOW_S = Math.floor(NOW_MS / 1000);

afterEach(() => vi.unstubAllGlobals());

describe("createToken", () => {
  it.each([
    [
      { doc: "notes:1", role: "write" as const },
      { doc: "notes:1", role: "write", exp: NOW_S + DEFAULT_TOKEN_TTL_SECONDS },
    ],
    [
      { doc: "team-ü:*", role: "admin" as const, ttlSeconds: 60, sub: "user/42+x", nbf: NOW_S - 5 },
      { doc: "team-ü:*", role: "admin", exp: NOW_S + 60, sub: "user/42+x", nbf: NOW_S - 5 },
    ],
  ])("mints what hono/jwt signs for the same claims: %j", async (options, claims) => {
    const token = await createToken(SECRET, { ...options, now: NOW_MS });
    expect(token).toBe(await sign({ ...(claims as TokenClaims) }, SECRET, "HS256"));
    expect(token).not.toMatch(/[=+/]/);
  });

  it("is accepted by the Worker's verification for every role", async () => {
    for (const role of ROLES) {
      const result = await verifyToken(await createToken(SECRET, { doc: "d", role }), SECRET, "d");
      expect(result).toMatchObject({ ok: true, claims: { doc: "d", role } });
      expect(
        await verifyToken(await createToken("other", { doc: "d", role }), SECRET, "d"),
      ).toMatchObject({ ok: false, status: 401 });
    }
  });

  it("falls back to node:crypto where there is no global crypto (Node 18)", async () => {
    const expected = await createToken(SECRET, { doc: "d", role: "read", now: NOW_MS });
    vi.stubGlobal("crypto", undefined);
    expect((globalThis as { crypto?: unknown }).crypto).toBeUndefined();
    expect(await createToken(SECRET, { doc: "d", role: "read", now: NOW_MS })).toBe(expected);
  });

  it("refuses an empty secret and an unknown role", async () => {
    await expect(createToken("", { doc: "d", role: "read" })).rejects.toThrow(/secret is empty/);
    await expect(createToken(SECRET, { doc: "d", role: "owner" as never })).rejects.toThrow(
      /role must be one of/,
    );
  });
});
