// The origin allow-list: browsers from other origins are refused; native clients without an
// Origin header rely on their token.
import { describe, expect, it } from "vitest";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

async function upgrade(origin: string | null) {
  const docId = uniqueDocId();
  const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "write", ttlSeconds: 60 });
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (origin) headers.Origin = origin;
  return fetchWorker(`/sync/${docId}?token=${token}`, { headers });
}

describe("origin allow-list", () => {
  it("refuses a disallowed origin with 403", async () => {
    const res = await upgrade("https://evil.example.net");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "origin_not_allowed",
    );
  });
  it("accepts an allowed origin", async () => {
    expect((await upgrade("https://app.example.com")).status).toBe(101);
    expect((await upgrade("http://localhost:5173")).status).toBe(101);
  });
  it("accepts a request without Origin when the token is valid", async () => {
    expect((await upgrade(null)).status).toBe(101);
  });
});
