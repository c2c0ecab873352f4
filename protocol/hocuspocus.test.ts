// The Hocuspocus frame codec against frames built the way @hocuspocus/provider and
// @hocuspocus/server build them (lib0 encoders, their type numbers).
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import {
  HocuspocusType,
  connectionLevelType,
  decodeClientAuth,
  decodeFrame,
  encodeAuthenticated,
  encodeClose,
  encodePermissionDenied,
  encodeSyncStatus,
  fromYWebsocket,
  parseAddress,
  syncTypeOf,
  toYWebsocket,
} from "./hocuspocus";
import { ProtocolError, decodeClientMessage, encodeSyncStep1 } from "./messages";

const build = (write: (e: encoding.Encoder) => void) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const read = (frame: Uint8Array) => {
  const d = decoding.createDecoder(frame);
  return { address: decoding.readVarString(d), type: decoding.readVarUint(d), d };
};

describe("Hocuspocus frames", () => {
  it("splits a provider's auth frame and reads its token, ignoring the provider version", () => {
    const frame = build((e) => {
      encoding.writeVarString(e, "notes/1\0session");
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, "jwt.token.here");
      encoding.writeVarString(e, "4.8.0");
    });
    const message = decodeFrame(frame);
    expect(message.address).toBe("notes/1\0session");
    expect(message.type).toBe(HocuspocusType.Auth);
    expect(decodeClientAuth(message.payload)).toEqual({ token: "jwt.token.here" });
    expect(parseAddress(message.address)).toEqual({
      documentName: "notes/1",
      sessionId: "session",
    });
    expect(parseAddress("plain")).toEqual({ documentName: "plain", sessionId: null });
  });

  it("turns a sync reply into the y-websocket sync frame the document validates", () => {
    const step1 = encodeSyncStep1(new Uint8Array([0]));
    const frame = build((e) => {
      encoding.writeVarString(e, "d");
      encoding.writeVarUint(e, HocuspocusType.SyncReply);
      encoding.writeUint8Array(e, step1.subarray(1)); // the payload after y-websocket's type
    });
    const message = decodeFrame(frame);
    expect(syncTypeOf(message.payload)).toBe(0);
    const y = toYWebsocket(message)!;
    expect(y).toEqual(step1);
    expect(decodeClientMessage(y).kind).toBe("sync-step1");
    expect(toYWebsocket({ ...message, type: HocuspocusType.Stateless })).toBeNull();
    // and back, under the address the client used
    const back = read(fromYWebsocket("d\0s", 0, step1.subarray(1)));
    expect([back.address, back.type]).toEqual(["d\0s", 0]);
  });

  it("builds the server's auth, sync status and close frames as Hocuspocus does", () => {
    const ok = read(encodeAuthenticated("d", "readonly"));
    expect([ok.address, ok.type, decoding.readVarUint(ok.d), decoding.readVarString(ok.d)]).toEqual(
      ["d", 2, 2, "readonly"],
    );
    const denied = read(encodePermissionDenied("d", "forbidden"));
    expect([denied.type, decoding.readVarUint(denied.d), decoding.readVarString(denied.d)]).toEqual(
      [2, 1, "forbidden"],
    );
    const status = read(encodeSyncStatus("d", false));
    expect([status.type, decoding.readVarUint(status.d)]).toEqual([8, 0]);
    const close = read(encodeClose("d", "provider_initiated"));
    expect([close.type, decoding.readVarString(close.d)]).toEqual([7, "provider_initiated"]);
  });

  it("tells the one-byte ping and pong from addressed frames", () => {
    expect(connectionLevelType(new Uint8Array([9]))).toBe(HocuspocusType.Ping);
    expect(connectionLevelType(new Uint8Array([10]))).toBe(HocuspocusType.Pong);
    expect(connectionLevelType(new Uint8Array([1, 0x61, 0]))).toBeNull();
  });

  it("refuses truncated frames and auth messages with a ProtocolError", () => {
    expect(() => decodeFrame(new Uint8Array([5, 0x61]))).toThrow(ProtocolError);
    expect(() => decodeFrame(new Uint8Array([1, 0x61]))).toThrow(ProtocolError);
    expect(() => decodeClientAuth(new Uint8Array([0]))).toThrow(ProtocolError);
    expect(() => decodeClientAuth(new Uint8Array([1, 0]))).toThrow(ProtocolError);
    expect(() => syncTypeOf(new Uint8Array([]))).toThrow(ProtocolError);
  });
});
