// Request bodies with open access (npm start): a chunked body over the cap is refused with 413
// while it streams and cancelled; nothing of it is applied.
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../durable-objects/config";
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
});
