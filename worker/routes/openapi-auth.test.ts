// What /v1/openapi.json says about tokens and errors: the bearer scheme describes the Auth the
// mount really uses (an app verifying its identity provider's JWTs is not told about HS256 and
// AUTH_SECRET), and every route lists the 500 and 503 any request may get, with their codes.
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { createEdgesync } from "../edgesync";
import { createAuth } from "../auth/create-auth";
import type { EdgesyncOptions } from "../settings";

type Spec = {
  components: { securitySchemes: Record<string, { description: string }> };
  paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
};

async function specOf(options: EdgesyncOptions, env: Record<string, unknown> = {}): Promise<Spec> {
  const res = await createEdgesync(options).request("https://a.example/v1/openapi.json", {}, env);
  expect(res.status).toBe(200);
  return (await res.json()) as Spec;
}

const bearerOf = async (options: EdgesyncOptions, env?: Record<string, unknown>) =>
  (await specOf(options, env)).components.securitySchemes.bearer!.description;

async function publicJwk() {
  const { publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
}

describe("the OpenAPI bearer scheme", () => {
  it("names our HS256 tokens when the deployment has a secret", async () => {
    const bearer = await bearerOf({}, { AUTH_SECRET: "s".repeat(32) });
    expect(bearer).toMatch(/HS256/);
    expect(bearer).not.toMatch(/identity provider/);
  });

  it("names the identity provider's JWTs, and no HS256, for an app that checks its own JWKS", async () => {
    const jwt = {
      jwks: { keys: [await publicJwk()] },
      issuer: "https://id.example",
      audience: "app",
    };
    for (const auth of [createAuth({ jwt }), { jwt }]) {
      const bearer = await bearerOf({ auth });
      expect(bearer).toMatch(/identity provider's JWT \(RS256, ES256\)/);
      expect(bearer).toContain("https://id.example");
      expect(bearer).not.toMatch(/HS256|AUTH_SECRET/);
    }
  });

  it("names both, and the hook, when all are configured", async () => {
    const jwt = { jwksUrl: "https://id.example/jwks.json", issuer: "i", audience: "a" };
    const bearer = await bearerOf({
      auth: createAuth({ secret: "s".repeat(32), jwt, authorize: () => ({ refuse: 401 }) }),
    });
    expect(bearer).toMatch(/HS256/);
    expect(bearer).toContain("the JWKS at https://id.example/jwks.json");
    expect(bearer).toMatch(/authorize hook/);
  });

  it("says when no token is checked at all", async () => {
    expect(await bearerOf({ auth: { openAccess: true } })).toMatch(/open access/);
    expect(await bearerOf({}, {})).toMatch(/503 auth_not_configured/);
  });
});

describe("the OpenAPI error responses", () => {
  it("list on every route the 500s and 503s any request may get, with their codes", async () => {
    const spec = await specOf({ auth: { openAccess: true } });
    const operations = Object.values(spec.paths).flatMap((ops) => Object.values(ops));
    expect(operations.length).toBeGreaterThanOrEqual(8);
    for (const { responses } of operations) {
      expect(Object.keys(responses)).toEqual(expect.arrayContaining(["500", "503"]));
    }
    const documentRoute = spec.paths["/v1/docs/{id}"]!.get!.responses;
    for (const code of ["auth_not_configured", "jwks_unavailable", "document_unavailable"])
      expect(documentRoute["503"]!.description).toContain(code);
    expect(documentRoute["500"]!.description).toContain("d1_not_migrated");
    const listing = spec.paths["/v1/docs"]!.get!.responses;
    expect(listing["503"]!.description).toContain("auth_not_configured");
  });
});
