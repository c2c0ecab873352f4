// One token check for every door: an expired token is refused on /sync, on a /mux channel, on a
// /hocuspocus document and for a batch-sync document. Each door reaches the check through
// worker/auth.ts `authenticate` (the relays by opening their channels through /sync), so a
// change that let an expired token through there fails every case here.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../protocol/close-codes";
import { AuthType, HocuspocusType, decodeFrame } from "../../protocol/hocuspocus";
import { MuxServerKind, decodeClose, decodeMuxFrame, encodeOpen } from "../../protocol/mux";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { fetchWorker, openSocket, uniqueDocId } from "../helpers/workerd-socket";

/** A write token for `doc` that expired a minute ago. */
const expired = (doc: string) =>
  createToken(TEST_AUTH_SECRET, { doc, role: "write", ttlSeconds: -60 });

/** A provider's Auth frame: `address · Auth · Token · varString(token)`. */
function authFrame(address: string, token: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, address);
  encoding.writeVarUint(e, HocuspocusType.Auth);
  encoding.writeVarUint(e, AuthType.Token);
  encoding.writeVarString(e, token);
  return encoding.toUint8Array(e);
}

describe("an expired token on every door", () => {
  it("/sync: 401 at the upgrade, 4401 for ?ext=1 clients", async () => {
    const docId = uniqueDocId("exp-sync");
    const token = await expired(docId);
    const res = await fetchWorker(`/sync/${docId}?token=${token}`, {
      headers: { Upgrade: "websocket" },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
    const ext = await openSocket(`/sync/${docId}?ext=1&token=${token}`);
    expect((await ext.closed).code).toBe(CloseCode.Unauthenticated);
  });

  it("/mux: the channel is CLOSED 4401", async () => {
    const docId = uniqueDocId("exp-mux");
    const mux = await openSocket("/mux");
    mux.send(encodeOpen(1, docId, `token=${await expired(docId)}`));
    const closed = decodeClose(
      decodeMuxFrame(
        await mux.waitFor((m) => {
          const f = decodeMuxFrame(m);
          return f.channel === 1 && f.kind === MuxServerKind.Closed;
        }),
      ).payload,
    );
    expect(closed.code).toBe(CloseCode.Unauthenticated);
    expect(closed.reason).toMatch(/expired/);
  });

  it("/hocuspocus: the document gets PermissionDenied", async () => {
    const docId = uniqueDocId("exp-hp");
    const socket = await openSocket("/hocuspocus");
    socket.send(authFrame(docId, await expired(docId)));
    const answer = await socket.waitFor((m) => decodeFrame(m).type === HocuspocusType.Auth);
    const d = decoding.createDecoder(decodeFrame(answer).payload);
    expect(decoding.readVarUint(d)).toBe(AuthType.PermissionDenied);
    expect(decoding.readVarString(d)).toMatch(/expired/);
  });

  it("batch sync: the document with the expired token fails with 401", async () => {
    const docId = uniqueDocId("exp-batch");
    const res = await fetchWorker("/v1/sync", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${await createToken(TEST_AUTH_SECRET, { doc: "*", role: "read" })}`,
      },
      body: JSON.stringify({
        documents: [{ id: docId, stateVector: "AA", token: await expired(docId) }],
      }),
    });
    const text = await res.text();
    expect(text).toMatch(/"status":401/);
    expect(text).toMatch(/expired/);
  });
});
