// `createAuth(options)` as an embedding Worker uses it: the real routes (sync, REST) mounted behind
// `auth.middleware`, with an `authorize` hook deciding requests by an API key, and inline JWKs
// with no shared secret. A refused request runs no Durable Object; a granted role is enforced.
import { createExecutionContext, listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportSPKI } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createApp } from "../../worker/app";
import { authFromEnv, createAuth, type AuthorizeResult } from "../../worker/auth/create-auth";
import { notFound, onError } from "../../worker/errors";
import { docs } from "../../worker/routes/docs";
import { socketRoute } from "../../worker/routes/socket";
import {
  JWT_TEST_AUDIENCE,
  JWT_TEST_ISSUER,
  idpToken,
  testKey,
  type TestKey,
} from "../helpers/idp";
import { noneToken, nowSeconds, signed } from "../helpers/jwt";
import { uniqueDocId } from "../helpers/workerd-socket";

const API_KEYS: Record<string, AuthorizeResult> = {
  "admin-key": { role: "admin", sub: "ops" },
  "writer-key": { role: "write", sub: "importer" },
  "reader-key": { role: "read", sub: "dashboard" },
};
/** The docIds the hook was asked about, in order. */
const asked: string[] = [];

let key: TestKey;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  key = await testKey("ES256");
  const auth = createAuth({
    jwt: { jwks: { keys: [key.jwk] }, issuer: JWT_TEST_ISSUER, audience: JWT_TEST_AUDIENCE },
    authorize: (request, docId) => {
      asked.push(docId);
      if (docId.startsWith("private-")) return { refuse: 403, message: "private documents" };
      const grant = API_KEYS[request.headers.get("X-Api-Key") ?? ""];
      return grant ?? { refuse: 401, code: "unknown_api_key", message: "unknown API key" };
    },
  });
  app = createApp();
  app.use(auth.middleware);
  app.route("/", socketRoute);
  app.route("/", docs);
  app.notFound(notFound);
  app.onError(onError);
});

const call = (path: string, init: RequestInit = {}) =>
  app.fetch(new Request(`http://embedder.test${path}`, init), env, createExecutionContext());
const apiKey = (name: string) => ({ "X-Api-Key": name });
const update = (text: string) => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
};
const post = (docId: string, headers: Record<string, string>, text: string) =>
  call(`/v1/docs/${docId}/update`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/octet-stream" },
    body: update(text),
  });
async function doRan(docId: string): Promise<boolean> {
  const target = env.DOCUMENTS.idFromName(docId);
  return (await listDurableObjectIds(env.DOCUMENTS)).some((id) => id.equals(target));
}
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe("the authorize hook behind the real routes", () => {
  it("grants the hook's role: a writer writes, a reader reads and cannot write", async () => {
    const docId = uniqueDocId("hook");
    expect((await post(docId, apiKey("writer-key"), "from the importer")).status).toBe(200);
    const refused = await post(docId, apiKey("reader-key"), "from the dashboard");
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe("forbidden");
    const json = await call(`/v1/docs/${docId}/json`, { headers: apiKey("reader-key") });
    expect(await json.json()).toEqual({ t: "from the importer" });
    const upgrade = await call(`/sync/${docId}`, {
      headers: { ...apiKey("reader-key"), Upgrade: "websocket" },
    });
    expect(upgrade.status).toBe(101);
    expect(asked.filter((id) => id === docId).length).toBe(4);
  });

  it.each([
    ["no key", {}, 401, "unknown_api_key", "hook-none"],
    ["a wrong key", apiKey("guessed"), 401, "unknown_api_key", "hook-wrong"],
    ["a document the hook keeps private", apiKey("admin-key"), 403, "forbidden", "private-x"],
  ] as const)(
    "refuses %s with the hook's answer, and no Durable Object runs",
    async (_name, headers, status, code, prefix) => {
      const docId = uniqueDocId(prefix);
      for (const res of [
        await post(docId, headers, "refused"),
        await call(`/sync/${docId}`, { headers: { ...headers, Upgrade: "websocket" } }),
      ]) {
        expect(res.status).toBe(status);
        expect((await errorOf(res)).code).toBe(code);
      }
      expect(await doRan(docId)).toBe(false);
    },
  );

  it("asks about a listing as `prefix*`", async () => {
    const res = await call("/v1/docs?prefix=hook-", { headers: apiKey("admin-key") });
    expect(res.status).toBe(200);
    expect(asked.at(-1)).toBe("hook-*");
    const denied = await call("/v1/docs?prefix=hook-", { headers: apiKey("writer-key") });
    expect(denied.status).toBe(403);
  });

  it("verifies JWKS tokens itself and leaves only other requests to the hook", async () => {
    const docId = uniqueDocId("hook-jwt");
    const token = await idpToken(key, { doc: docId, role: "write" });
    const before = asked.length;
    expect((await post(docId, { Authorization: `Bearer ${token}` }, "signed")).status).toBe(200);
    const forged = await idpToken(
      await testKey("ES256"),
      { doc: docId, role: "write" },
      {
        kid: key.kid,
      },
    );
    expect((await post(docId, { Authorization: `Bearer ${forged}` }, "forged")).status).toBe(401);
    expect(asked.length).toBe(before);
  });
});

describe("createAuth with inline JWKs and no secret", () => {
  const auth = () =>
    createAuth({
      jwt: { jwks: { keys: [key.jwk] }, issuer: JWT_TEST_ISSUER, audience: JWT_TEST_AUDIENCE },
    });
  const request = (token: string) =>
    new Request("http://embedder.test/sync/d", { headers: { Authorization: `Bearer ${token}` } });
  const claims = { doc: "d", role: "write", exp: nowSeconds() + 600 };

  it("accepts the IdP's token with the default claims (doc, role)", async () => {
    const token = await idpToken(key, { doc: "d", role: "write", sub: "u1" });
    const grant = await auth().authenticate(request(token), { docId: "d" });
    expect(grant).toMatchObject({ role: "write", sub: "u1" });
  });

  it.each([
    ["HS256 signed with the public key (algorithm confusion)", () => exportSPKI(key.publicKey)],
    ["HS256 signed with the public JWK's JSON", async () => JSON.stringify(key.jwk)],
  ])("refuses %s", async (_name, secret) => {
    const token = await signed(
      { ...claims, iss: JWT_TEST_ISSUER, aud: JWT_TEST_AUDIENCE },
      await secret(),
    );
    await expect(auth().authenticate(request(token), { docId: "d" })).rejects.toMatchObject({
      status: 401,
      code: "invalid_token",
    });
  });

  it("refuses alg none", async () => {
    await expect(
      auth().authenticate(request(noneToken({ ...claims, iss: JWT_TEST_ISSUER })), { docId: "d" }),
    ).rejects.toMatchObject({ status: 401, code: "invalid_token" });
  });

  it("refuses options that cannot be safe", () => {
    const jwks = { keys: [key.jwk] };
    const base = { jwks, issuer: JWT_TEST_ISSUER, audience: JWT_TEST_AUDIENCE };
    expect(() => createAuth({ jwt: { ...base, algorithms: ["HS256" as never] } })).toThrow(
      /algorithms/,
    );
    expect(() => createAuth({ jwt: { ...base, issuer: "" } })).toThrow(/issuer/);
    expect(() => createAuth({ jwt: { ...base, audience: [] } })).toThrow(/audience/);
    expect(() => createAuth({ jwt: { ...base, clockSkewSeconds: 3600 } })).toThrow(
      /jwt\.clockSkewSeconds must be an integer from 0 to 300/,
    );
    expect(() => createAuth({ secret: "s", openAccess: true })).toThrow(/openAccess/);
  });
});

describe("an identity provider that cannot be reached or configured", () => {
  const request = (token: string) =>
    new Request("http://embedder.test/sync/d", { headers: { Authorization: `Bearer ${token}` } });

  it("answers 503 jwks_unavailable while the JWKS cannot be fetched", async () => {
    // The test IdP answers 404 here.
    const jwksUrl = new URL("/missing/jwks.json", env.JWKS_URL as string).href;
    const auth = createAuth({ jwt: { jwksUrl, issuer: JWT_TEST_ISSUER, audience: "a" } });
    const token = await idpToken(key, { doc: "d", role: "write" }, { audience: "a" });
    for (let i = 0; i < 2; i++)
      await expect(auth.authenticate(request(token), { docId: "d" })).rejects.toMatchObject({
        status: 503,
        code: "jwks_unavailable",
      });
  });

  it("refuses every request with 503 auth_not_configured when the environment's JWT settings are unsafe", async () => {
    const auth = authFromEnv({ JWKS_URL: "https://idp.example/jwks.json" } as unknown as Env);
    const token = await idpToken(key, { doc: "d", role: "write" });
    const refusal = auth.authenticate(request(token), { docId: "d" });
    await expect(refusal).rejects.toMatchObject({ status: 503, code: "auth_not_configured" });
    await expect(refusal).rejects.toThrow(/issuer/);
  });
});
