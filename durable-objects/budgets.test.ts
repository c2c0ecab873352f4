// chargeSend's accounting against a socket whose runtime queue the test sets: broadcasts are
// refused once the limit waits unread, replies never are and do not count while still queued.
import { describe, expect, it } from "vitest";
import { chargeSend } from "./budgets";
import type { Connection } from "./connection";

const LIMIT = 1000;

/** A connection whose `queued()` is whatever the test says the runtime holds. */
function socket() {
  const runtime = { queued: 0 };
  const conn: Connection = {
    state: { id: "s", role: "write", exp: null, aw: {} },
    send: () => {},
    close: () => {},
    saveState: () => {},
    queued: () => runtime.queued,
  };
  /** Charges a send and, when allowed, queues it in the fake runtime. */
  const send = (bytes: number, reply = false) => {
    const refused = chargeSend(conn, bytes, reply, LIMIT);
    if (!refused) runtime.queued += bytes;
    return refused;
  };
  return { runtime, send };
}

describe("chargeSend", () => {
  it("refuses broadcasts once the limit waits unread, and admits them again as it drains", () => {
    const { runtime, send } = socket();
    expect(send(600)).toBeNull();
    expect(send(300)).toBeNull();
    expect(send(200)).toMatch(/900 bytes of broadcasts queued, limit 1000/);
    runtime.queued = 0; // the client read everything
    expect(send(200)).toBeNull();
  });

  it("always admits a message into a queue holding no broadcasts, however large", () => {
    const { send } = socket();
    expect(send(5 * LIMIT)).toBeNull();
    expect(send(1)).toMatch(/not reading/);
  });

  it("never refuses a reply, and leaves reply bytes still queued out of the count", () => {
    const { runtime, send } = socket();
    expect(send(8 * LIMIT, true)).toBeNull(); // a large first sync on a slow link
    expect(send(900)).toBeNull(); // updates behind it are what counts
    expect(send(200)).toMatch(/900 bytes/);
    runtime.queued -= 8 * LIMIT; // the reply has drained; the updates wait
    expect(send(50)).toBeNull();
    expect(send(100)).toMatch(/950 bytes/);
  });

  it("counts a reply that drained only in part as still queued", () => {
    const { runtime, send } = socket();
    expect(send(100)).toBeNull();
    expect(send(4 * LIMIT, true)).toBeNull();
    runtime.queued -= 100 + 2 * LIMIT; // the broadcast and half the reply went out
    expect(send(LIMIT)).toBeNull(); // nothing but reply bytes is queued
  });
});
