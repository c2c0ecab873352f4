// The JWT matrix at the upgrade: every bad token is refused by the Worker with the right
// status before any Durable Object runs; valid tokens of each role are accepted.
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeSyncUpdate } from "../../protocol/messages";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import {
  confusedToken,
  noneToken,
  nowSeconds,
  respelledSignature,
  signed,
  tamper,
} from "../helpers/jwt";
import { fetchWorker, openSocket, uniqueDocId } from "../helpers/workerd-socket";

const upgrade = (docId: string, token: string | null, headers: Record<string, string> = {}) =>
  fetchWorker(`/sync/${docId}${token === null ? "" : `?token=${encodeURIComponent(token)}`}`, {
    headers: { Upgrade: "websocket", ...headers },
  });

async function doRan(docId: string): Promise<boolean> {
  const target = env.DOCUMENTS.idFromName(docId);
  return (await listDurableObjectIds(env.DOCUMENTS)).some((id) => id.equals(target));
}

type Case = [
  name: string,
  status: number,
  make: (docId: string) => Promise<string | null> | string | null,
];

const later = () => nowSeconds() + 600;
const CASES: Case[] = [
  ["no token", 401, () => null],
  ["garbage", 401, () => "not.a.jwt"],
  ["alg none", 401, (doc) => noneToken({ doc, role: "admin", exp: later() })],
  [
    "HS512 with the right secret",
    401,
    (doc) => signed({ doc, role: "write", exp: later() }, TEST_AUTH_SECRET, "HS512"),
  ],
  [
    "RS256 header, HMAC signature (algorithm confusion)",
    401,
    (doc) => confusedToken({ doc, role: "write", exp: later() }, TEST_AUTH_SECRET),
  ],
  ["wrong secret", 401, (doc) => signed({ doc, role: "write", exp: later() }, "not-the-secret")],
  [
    "tampered payload",
    401,
    async (doc) =>
      tamper(await signed({ doc, role: "read", exp: later() }, TEST_AUTH_SECRET), {
        doc,
        role: "admin",
        exp: later(),
      }),
  ],
  [
    "valid, with = padding after the signature",
    401,
    async (doc) => `${await signed({ doc, role: "write", exp: later() }, TEST_AUTH_SECRET)}=`,
  ],
  [
    "valid, with == padding after the signature",
    401,
    async (doc) => `${await signed({ doc, role: "write", exp: later() }, TEST_AUTH_SECRET)}==`,
  ],
  [
    "valid, signature's unused low bits set",
    401,
    async (doc) =>
      respelledSignature(await signed({ doc, role: "write", exp: later() }, TEST_AUTH_SECRET)),
  ],
  [
    "valid, with a fourth segment",
    401,
    async (doc) => `${await signed({ doc, role: "write", exp: later() }, TEST_AUTH_SECRET)}.AA`,
  ],
  [
    "expired",
    401,
    (doc) => signed({ doc, role: "write", exp: nowSeconds() - 10 }, TEST_AUTH_SECRET),
  ],
  [
    "not yet valid",
    401,
    (doc) =>
      signed({ doc, role: "write", exp: later(), nbf: nowSeconds() + 300 }, TEST_AUTH_SECRET),
  ],
  ["missing exp", 401, (doc) => signed({ doc, role: "write" }, TEST_AUTH_SECRET)],
  ["missing doc", 401, () => signed({ role: "write", exp: later() }, TEST_AUTH_SECRET)],
  ["unknown role", 401, (doc) => signed({ doc, role: "owner", exp: later() }, TEST_AUTH_SECRET)],
  [
    "another document",
    403,
    () => signed({ doc: "someone-elses-doc", role: "admin", exp: later() }, TEST_AUTH_SECRET),
  ],
  [
    "a prefix that does not match",
    403,
    () => signed({ doc: "team-b:*", role: "write", exp: later() }, TEST_AUTH_SECRET),
  ],
];

describe("token verification at the upgrade", () => {
  it.each(CASES)("%s → %i, and no Durable Object runs", async (_name, status, make) => {
    const docId = uniqueDocId("team-a:doc");
    const res = await upgrade(docId, await make(docId));
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(/\w+/);
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(await doRan(docId)).toBe(false);
  });

  it.each(["read", "write", "admin"] as const)(
    "accepts a valid %s token (query and Bearer header)",
    async (role) => {
      const docId = uniqueDocId("team-a:doc");
      const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role, ttlSeconds: 60 });
      expect((await upgrade(docId, token)).status).toBe(101);
      expect((await upgrade(docId, null, { Authorization: `Bearer ${token}` })).status).toBe(101);
    },
  );

  it("accepts a prefix claim for any document under the prefix", async () => {
    const token = await createToken(TEST_AUTH_SECRET, {
      doc: "team-a:*",
      role: "write",
      ttlSeconds: 60,
    });
    for (const docId of [uniqueDocId("team-a:x"), uniqueDocId("team-a:y")]) {
      expect((await upgrade(docId, token)).status).toBe(101);
    }
    expect((await upgrade(uniqueDocId("team-ab"), token)).status).toBe(403);
  });

  it("refuses a non-canonical spelling of a valid token over REST too, and accepts the token itself", async () => {
    const docId = uniqueDocId("team-a:doc");
    const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "read", ttlSeconds: 60 });
    const get = (t: string) =>
      fetchWorker(`/v1/docs/${docId}/json`, { headers: { Authorization: `Bearer ${t}` } });
    for (const spelling of [`${token}=`, respelledSignature(token)]) {
      const res = await get(spelling);
      expect(res.status, spelling).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_token");
    }
    expect((await get(token)).status).toBe(404); // authenticated; the document does not exist
  });

  it("ignores handoff headers a client tries to smuggle", async () => {
    const docId = uniqueDocId("team-a:doc");
    const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "read", ttlSeconds: 60 });
    const socket = await openSocket(`/sync/${docId}?token=${token}`, {
      "x-edgesync-role": "admin",
    });
    const attempt = new Y.Doc();
    attempt.getText("t").insert(0, "smuggled");
    socket.send(encodeSyncUpdate(Y.encodeStateAsUpdate(attempt)));
    await socket.waitFor((m) => m[0] === 2); // permission denied: still read-only
  });
});

describe("refusals as close codes for clients that opt in (?ext=1)", () => {
  it.each([
    [
      "an expired token",
      4401,
      (doc: string) => signed({ doc, role: "write", exp: nowSeconds() - 10 }, TEST_AUTH_SECRET),
    ],
    [
      "another document's token",
      4403,
      () => signed({ doc: "elsewhere", role: "write", exp: later() }, TEST_AUTH_SECRET),
    ],
  ] as const)(
    "%s closes with %i after the upgrade, and no Durable Object runs",
    async (_name, code, make) => {
      const docId = uniqueDocId("team-a:ext");
      const socket = await openSocket(
        `/sync/${docId}?ext=1&token=${encodeURIComponent(await make(docId))}`,
      );
      expect((await socket.closed).code).toBe(code);
      expect(await doRan(docId)).toBe(false);
    },
  );
});
