// Identity-provider tokens through the real Worker: RS256 and ES256 tokens verified against a JWKS
// served on 127.0.0.1 (keys generated here), claims mapped by the project's JWT_DOC_CLAIM /
// JWT_ROLE_CLAIM / JWT_DEFAULT_ROLE; every bad token refused before any Durable Object runs; an
// unknown kid refetches the JWKS at most once per JWKS_MIN_REFRESH_MS, which is how rotation is seen.
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportSPKI } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { idpControl, idpToken, testKey, type TestKey } from "../helpers/idp";
import { noneToken, nowSeconds, signed } from "../helpers/jwt";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

const idp = idpControl(env.JWKS_URL as string);
/** JWKS_MIN_REFRESH_MS of the workerd-idp project (vitest.config.ts). */
const MIN_REFRESH_MS = Number(env.JWKS_MIN_REFRESH_MS);
/** DEFAULT_CLOCK_SKEW_SECONDS: the project leaves JWT_CLOCK_SKEW_SECONDS unset. */
const SKEW_SECONDS = 60;
const DOCS = "edgesync/docs";
const ROLE = "edgesync/role";

let rsa: TestKey;
let ec: TestKey;
beforeAll(async () => {
  [rsa, ec] = await Promise.all([testKey("RS256"), testKey("ES256")]);
  await idp.publish(rsa, ec);
});

async function doRan(docId: string): Promise<boolean> {
  const target = env.DOCUMENTS.idFromName(docId);
  return (await listDurableObjectIds(env.DOCUMENTS)).some((id) => id.equals(target));
}
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const update = (text: string) => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
};
const post = (docId: string, token: string, text: string) =>
  fetchWorker(`/v1/docs/${docId}/update`, {
    method: "POST",
    headers: { ...bearer(token), "Content-Type": "application/octet-stream" },
    body: update(text),
  });
const upgrade = (docId: string, token: string) =>
  fetchWorker(`/sync/${docId}?token=${encodeURIComponent(token)}`, {
    headers: { Upgrade: "websocket" },
  });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe("identity-provider tokens", () => {
  it.each(["RS256", "ES256"] as const)(
    "accepts %s with the mapped role: write creates and edits, read (the default role) reads and cannot write",
    async (alg) => {
      const key = alg === "RS256" ? rsa : ec;
      const docId = uniqueDocId(`idp-${alg}`);
      const writer = await idpToken(key, { [DOCS]: [docId], [ROLE]: "write", sub: "user-1" });
      const reader = await idpToken(key, { [DOCS]: "idp-*" }); // no role claim: read
      const wrote = await post(docId, writer, `written with ${alg}`);
      expect(wrote.status, JSON.stringify(await wrote.clone().json())).toBe(200);
      expect(await doRan(docId)).toBe(true); // what the refusals below must not do

      const refused = await post(docId, reader, "a reader's edit");
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).code).toBe("forbidden");
      const json = await fetchWorker(`/v1/docs/${docId}/json`, { headers: bearer(reader) });
      expect(json.status).toBe(200);
      expect(await json.json()).toEqual({ t: `written with ${alg}` });

      expect((await upgrade(docId, reader)).status).toBe(101);
      expect((await upgrade(uniqueDocId("other"), reader)).status).toBe(403);
    },
  );

  it("still accepts the project's own HS256 tokens beside them", async () => {
    const docId = uniqueDocId("idp-hs");
    const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "write" });
    expect((await post(docId, token, "hs256")).status).toBe(200);
  });

  it("tolerates the IdP's clock within the skew bound", async () => {
    const docId = uniqueDocId("idp-skew");
    const claims = { [DOCS]: docId, [ROLE]: "write" };
    const justExpired = await idpToken(rsa, claims, { expiresIn: -(SKEW_SECONDS - 20) });
    expect((await upgrade(docId, justExpired)).status).toBe(101);
    const almostValid = await idpToken(rsa, claims, { notBefore: SKEW_SECONDS - 20 });
    expect((await upgrade(docId, almostValid)).status).toBe(101);
  });
});

type Refusal = [name: string, status: number, make: (docId: string) => Promise<string>];
const claims = (docId: string) => ({ [DOCS]: docId, [ROLE]: "write" });
const REFUSALS: Refusal[] = [
  ["wrong issuer", 401, (d) => idpToken(rsa, claims(d), { issuer: "https://evil.test/" })],
  ["wrong audience", 401, (d) => idpToken(ec, claims(d), { audience: "another-app" })],
  ["expired beyond the skew", 401, (d) => idpToken(rsa, claims(d), { expiresIn: -90 })],
  ["not valid yet beyond the skew", 401, (d) => idpToken(ec, claims(d), { notBefore: 120 })],
  ["no exp", 401, (d) => idpToken(rsa, claims(d), { omitExp: true })],
  ["alg none", 401, async (d) => noneToken({ ...claims(d), exp: nowSeconds() + 600 })],
  [
    "HS256 signed with the RSA public key (algorithm confusion)",
    401,
    async (d) => signed({ ...claims(d), exp: nowSeconds() + 600 }, await exportSPKI(rsa.publicKey)),
  ],
  [
    "a published kid, signed by another key",
    401,
    async (d) => idpToken(await testKey("RS256"), claims(d), { kid: rsa.kid }),
  ],
  ["no document claim", 401, () => idpToken(rsa, { [ROLE]: "write" })],
  ["an unknown role", 401, (d) => idpToken(rsa, { [DOCS]: d, [ROLE]: "owner" })],
  ["another document", 403, () => idpToken(ec, claims("someone-elses-doc"))],
];

describe("refused identity-provider tokens", () => {
  it.each(REFUSALS)("%s → %i, and no Durable Object runs", async (_name, status, make) => {
    const docId = uniqueDocId("idp-refused");
    const token = await make(docId);
    for (const res of [await upgrade(docId, token), await post(docId, token, "refused")]) {
      expect(res.status).toBe(status);
      const error = await errorOf(res);
      expect(error.code).toBe(status === 401 ? "invalid_token" : "forbidden");
    }
    expect(await doRan(docId)).toBe(false);
  });
});

describe("key rotation", () => {
  it("refuses an unknown kid, refetching the JWKS at most once per minimum interval", async () => {
    // The key set is fetched: a known key verifies first.
    const warm = uniqueDocId("idp-warm");
    expect((await upgrade(warm, await idpToken(rsa, claims(warm)))).status).toBe(101);
    const stranger = await testKey("ES256");
    const docId = uniqueDocId("idp-unknown");
    const before = await idp.fetches();
    const started = Date.now();
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        idpToken(stranger, claims(docId), { kid: `made-up-${i}` }),
      ),
    );
    for (const token of tokens.slice(0, 10)) expect((await upgrade(docId, token)).status).toBe(401);
    const flood = await Promise.all(tokens.slice(10).map((token) => upgrade(docId, token)));
    expect(flood.map((r) => r.status)).toEqual(tokens.slice(10).map(() => 401));
    const elapsed = Date.now() - started;
    const fetched = (await idp.fetches()) - before;
    expect(fetched).toBeLessThanOrEqual(1 + Math.floor(elapsed / MIN_REFRESH_MS));
    expect(await doRan(docId)).toBe(false);
  });

  it("accepts a key the IdP rotated in once the interval has passed, with one fetch", async () => {
    const next = await testKey("RS256");
    await idp.publish(next, ec); // rsa withdrawn, `next` rotated in
    await new Promise((r) => setTimeout(r, MIN_REFRESH_MS + 200));
    const before = await idp.fetches();
    const docId = uniqueDocId("idp-rotated");
    const res = await post(docId, await idpToken(next, claims(docId)), "after rotation");
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
    expect((await idp.fetches()) - before).toBe(1);
    // The new key keeps working from the cache: no fetch per request.
    expect((await post(docId, await idpToken(next, claims(docId)), "again")).status).toBe(200);
    expect((await idp.fetches()) - before).toBe(1);
  });
});
