// The /mux relay inside workerd with tokens and an origin allow-list: each channel is admitted by
// the same code as a direct /sync/:docId?ext=1 socket (origin, token, role), refusals as CLOSED.
import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../protocol/close-codes";
import { MessageType } from "../../protocol/messages";
import {
  MuxClientKind,
  MuxServerKind,
  decodeClose,
  decodeMuxFrame,
  encodeMuxFrame,
  encodeOpen,
} from "../../protocol/mux";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { openSocket, uniqueDocId, type TestSocket } from "../helpers/workerd-socket";

const tokenFor = (doc: string, role: "read" | "write" = "write") =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 60 });

const on = (channel: number, kind: number) => (m: Uint8Array) => {
  const frame = decodeMuxFrame(m);
  return frame.channel === channel && frame.kind === kind;
};

async function closedWith(socket: TestSocket, channel: number) {
  return decodeClose(
    decodeMuxFrame(await socket.waitFor(on(channel, MuxServerKind.Closed))).payload,
  );
}

describe("/mux channels admitted like direct sockets", () => {
  it("refuses every channel of a disallowed origin with 4403, as a direct ?ext=1 socket", async () => {
    const socket = await openSocket("/mux", { Origin: "https://evil.example.net" });
    const docId = uniqueDocId("muxorigin");
    socket.send(encodeOpen(1, docId, `token=${await tokenFor(docId)}`));
    const closed = await closedWith(socket, 1);
    expect(closed.code).toBe(CloseCode.Forbidden);
    expect(closed.reason).toMatch(/origin_not_allowed/);
  });

  it("opens a channel from an allowed origin and refuses a token for another document", async () => {
    const socket = await openSocket("/mux", { Origin: "https://app.example.com" });
    const docId = uniqueDocId("muxok");
    socket.send(encodeOpen(1, docId, `token=${await tokenFor(docId)}`));
    socket.send(encodeOpen(2, uniqueDocId("muxother"), `token=${await tokenFor(docId)}`));
    await socket.waitFor(on(1, MuxServerKind.Opened));
    // The document's sync step 1 arrives on channel 1, verbatim.
    const step1 = await socket.waitFor((m) => {
      const frame = decodeMuxFrame(m);
      if (frame.channel !== 1 || frame.kind !== MuxServerKind.Frame) return false;
      return decoding.readVarUint(decoding.createDecoder(frame.payload)) === MessageType.Sync;
    });
    expect(step1).toBeDefined();
    expect((await closedWith(socket, 2)).code).toBe(CloseCode.Forbidden);
  });

  it("relays a read-only channel's refused update as the document's own answer", async () => {
    const socket = await openSocket("/mux");
    const docId = uniqueDocId("muxread");
    socket.send(encodeOpen(1, docId, `token=${await tokenFor(docId, "read")}`));
    await socket.waitFor(on(1, MuxServerKind.Opened));
    // A sync update (type 0, sub 2) with an empty Yjs update: refused for the read role.
    socket.send(encodeMuxFrame(1, MuxClientKind.Frame, new Uint8Array([0, 2, 2, 0, 0])));
    const denied = await socket.waitFor((m) => {
      const frame = decodeMuxFrame(m);
      if (frame.channel !== 1 || frame.kind !== MuxServerKind.Frame) return false;
      return decoding.readVarUint(decoding.createDecoder(frame.payload)) === MessageType.Auth;
    });
    expect(denied).toBeDefined();
  });
});
