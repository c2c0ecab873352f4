// Request bodies with open access (npm start): a chunked body over the cap is refused with 413
// while it streams and cancelled; nothing of it is applied. A write refused for its bytes
// creates nothing, not even the empty document a writer's request would create.
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../durable-objects/config";
import { encodeBase64url } from "../../protocol/base64url";
import { countingBody } from "../helpers/streams";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

/** A hostile body: far over any cap, generated only as far as the Worker pulls it. */
const HOSTILE_BYTES = 256 * 1024 * 1024;
/** Most a refused body may have been pulled: the sync cap plus read-ahead. */
const MOST_PULLED = 2 * Math.ceil((DEFAULT_LIMITS.maxMessageBytes * 4) / 3);

describe("request bodies with open access", () => {
  it.each([
    ["update", ""],
    ["sync", '{"stateVector":"AA","update":"'],
  ])(
    "refuses a chunked POST …/%s body over the cap with 413 as soon as it passes it",
    async (route, prefix) => {
      const id = uniqueDocId("body");
      const body = countingBody(HOSTILE_BYTES, prefix);
      const res = await fetchWorker(`/v1/docs/${id}/${route}`, {
        method: "POST",
        body: body.stream,
        headers: { "Content-Type": "application/json" },
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        "payload_too_large",
      );
      await new Promise((r) => setTimeout(r, 50)); // the cancel reaches the stream after the answer
      expect(body.pulled()).toBeLessThan(MOST_PULLED);
      expect(body.cancelled()).toBe(true);
      expect((await fetchWorker(`/v1/docs/${id}`)).status).toBe(404);
    },
  );

  it.each([
    ["an update that is not Yjs", "update", new Uint8Array([1, 2, 3, 250]), 400, "invalid_update"],
    [
      "a sync whose update is over MAX_MESSAGE_BYTES once decoded",
      "sync",
      {
        stateVector: "AA",
        update: encodeBase64url(new Uint8Array(DEFAULT_LIMITS.maxMessageBytes + 1)),
      },
      413,
      "payload_too_large",
    ],
    [
      "a sync whose state vector is not one",
      "sync",
      { stateVector: encodeBase64url(new Uint8Array([5, 1])), update: "AAA" },
      400,
      "invalid_state_vector",
    ],
  ] as const)("refuses %s and creates no document", async (_what, route, body, status, code) => {
    const id = uniqueDocId("refused");
    const res = await fetchWorker(`/v1/docs/${id}/${route}`, {
      method: "POST",
      body: body instanceof Uint8Array ? body : JSON.stringify(body),
      headers: {
        "Content-Type": route === "sync" ? "application/json" : "application/octet-stream",
      },
    });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    expect((await fetchWorker(`/v1/docs/${id}`)).status).toBe(404);
  });
});
