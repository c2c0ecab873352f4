// Request bodies with tokens on: nothing of a body is read before the token is verified, a body
// over the cap is refused with 413 while it streams (no Content-Length), and a refused body is
// cancelled, not drained.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DEFAULT_LIMITS } from "../../durable-objects/config";
import { encodeBase64url } from "../../protocol/base64url";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { nowSeconds, signed } from "../helpers/jwt";
import { countingBody } from "../helpers/streams";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

const MB = 1024 * 1024;
/** A hostile body: far over any cap, generated only as far as the Worker pulls it. */
const HOSTILE_BYTES = 256 * MB;
/** Most a refused-as-too-large body may have been pulled: the sync cap plus read-ahead. */
const MOST_PULLED = 2 * Math.ceil((DEFAULT_LIMITS.maxMessageBytes * 4) / 3);
/** What the runtime may pull ahead of a Worker that never reads the body (it buffers a chunk or two). */
const READ_AHEAD = 1 * MB;
const SYNC_PREFIX = '{"stateVector":"AA","update":"';

const bearer = async (doc: string, role: string) => ({
  Authorization: `Bearer ${await signed({ doc, role, exp: nowSeconds() + 600 }, TEST_AUTH_SECRET)}`,
});
const post = (path: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>) =>
  fetchWorker(path, { method: "POST", body, headers });
const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code;
/** The Worker cancels a refused body after answering; give that a turn to reach the stream. */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe("request bodies with tokens", () => {
  it.each([
    ["no token", 401, "missing_token", async (_doc: string) => ({})],
    [
      "a bad token",
      401,
      "invalid_token",
      async (_doc: string) => ({ Authorization: "Bearer not.a.token" }),
    ],
    ["a read token (update needs write)", 403, "forbidden", (doc: string) => bearer(doc, "read")],
  ] as const)(
    "POST …/update with %s is refused before its body is read",
    async (_name, status, code, auth) => {
      const id = uniqueDocId("body");
      const body = countingBody(HOSTILE_BYTES);
      const res = await post(`/v1/docs/${id}/update`, body.stream, await auth(id));
      expect(res.status).toBe(status);
      expect(await errorCode(res)).toBe(code);
      await settle();
      expect(body.pulled()).toBeLessThan(READ_AHEAD);
      expect(body.cancelled()).toBe(true);
    },
  );

  it.each([
    ["no token", 401, "missing_token", async (_doc: string) => ({})],
    [
      "a bad token",
      401,
      "invalid_token",
      async (_doc: string) => ({ Authorization: "Bearer not.a.token" }),
    ],
    [
      "another document's token",
      403,
      "forbidden",
      (_doc: string) => bearer("someone-else", "write"),
    ],
  ] as const)(
    "POST …/sync with %s is refused before its body is read or parsed",
    async (_name, status, code, auth) => {
      const id = uniqueDocId("body");
      const body = countingBody(HOSTILE_BYTES, SYNC_PREFIX);
      const res = await post(`/v1/docs/${id}/sync`, body.stream, {
        "Content-Type": "application/json",
        ...(await auth(id)),
      });
      expect(res.status).toBe(status);
      expect(await errorCode(res)).toBe(code);
      await settle();
      expect(body.pulled()).toBeLessThan(READ_AHEAD);
      expect(body.cancelled()).toBe(true);
    },
  );

  it("refuses POST …/sync that is not JSON with 415 before reading it", async () => {
    const id = uniqueDocId("body");
    const body = countingBody(HOSTILE_BYTES);
    const res = await post(`/v1/docs/${id}/sync`, body.stream, {
      "Content-Type": "text/plain",
      ...(await bearer(id, "write")),
    });
    expect(res.status).toBe(415);
    expect(await errorCode(res)).toBe("unsupported_media_type");
    await settle();
    expect(body.pulled()).toBeLessThan(READ_AHEAD);
  });

  it.each([
    ["update", ""],
    ["sync", SYNC_PREFIX],
  ])(
    "refuses a chunked POST …/%s body over the cap with 413 as soon as it passes it",
    async (route, prefix) => {
      const id = uniqueDocId("body");
      const body = countingBody(HOSTILE_BYTES, prefix);
      const res = await post(`/v1/docs/${id}/${route}`, body.stream, {
        "Content-Type": "application/json",
        ...(await bearer(id, "write")),
      });
      expect(res.status).toBe(413);
      expect(await errorCode(res)).toBe("payload_too_large");
      await settle();
      expect(body.pulled()).toBeLessThan(MOST_PULLED);
      expect(body.cancelled()).toBe(true);
      expect(
        (await fetchWorker(`/v1/docs/${id}`, { headers: await bearer(id, "read") })).status,
      ).toBe(404);
    },
  );

  it("still syncs a chunked body under the cap, validated after it is read", async () => {
    const id = uniqueDocId("body");
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "streamed");
    const json = JSON.stringify({
      stateVector: "AA",
      update: encodeBase64url(Y.encodeStateAsUpdate(doc)),
    });
    const bytes = new TextEncoder().encode(json);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const res = await post(`/v1/docs/${id}/sync`, stream, {
      "Content-Type": "application/json",
      ...(await bearer(id, "write")),
    });
    expect(res.status).toBe(200);
    const text = (await (
      await fetchWorker(`/v1/docs/${id}/json`, { headers: await bearer(id, "read") })
    ).json()) as { t: string };
    expect(text.t).toBe("streamed");
    const bad = await post(`/v1/docs/${id}/sync`, countingBody(10, "{").stream, {
      "Content-Type": "application/json",
      ...(await bearer(id, "write")),
    });
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe("invalid_request");
  });
});
