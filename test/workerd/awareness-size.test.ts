// Awareness messages are capped (MAX_AWARENESS_BYTES): a socket that sends a larger one is closed
// with 1009 and its state reaches nobody; states of ordinary size pass.
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../durable-objects/config";
import { CloseCode } from "../../protocol/close-codes";
import { awarenessFrame, isAwarenessFor } from "../helpers/frames";
import { openSocket, uniqueDocId } from "../helpers/workerd-socket";

describe("awareness size", () => {
  it("closes a socket whose awareness message passes the cap with 1009 and forwards nothing of it", async () => {
    const docId = uniqueDocId();
    const watcher = await openSocket(`/sync/${docId}`);
    const sender = await openSocket(`/sync/${docId}`);
    sender.send(
      awarenessFrame(7001, 1, {
        user: { name: "ada", color: "#f80" },
        cursor: { anchor: 3, head: 9 },
      }),
    );
    await watcher.waitFor(isAwarenessFor(7001));

    const huge = await openSocket(`/sync/${docId}`);
    huge.send(awarenessFrame(7002, 1, { blob: "x".repeat(DEFAULT_LIMITS.maxAwarenessBytes) }));
    const closed = await huge.closed;
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    expect(closed.reason).toMatch(/awareness message/);
    // A fresh socket's greeting holds the ordinary state and not the oversized one.
    const late = await openSocket(`/sync/${docId}`);
    await late.waitFor(isAwarenessFor(7001));
    expect(late.messages.some(isAwarenessFor(7002))).toBe(false);
    expect(watcher.messages.some(isAwarenessFor(7002))).toBe(false);
  });
});
