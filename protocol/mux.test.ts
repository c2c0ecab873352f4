// The /mux frame codec: frames built with lib0 the way the PROTOCOL.md table says, and the
// malformed inputs the relay must refuse (as ProtocolError, which it turns into 4400).
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "./messages";
import {
  MuxClientKind,
  MuxServerKind,
  decodeClose,
  decodeMuxFrame,
  decodeOpen,
  decodeText,
  encodeClose,
  encodeMuxFrame,
  encodeOpen,
  encodeText,
} from "./mux";

const build = (write: (e: encoding.Encoder) => void) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};

describe("mux frames", () => {
  it("splits channel, kind and the payload as is (channel ids past one byte too)", () => {
    const inner = new Uint8Array([0, 2, 3, 1, 2, 3]);
    const frame = encodeMuxFrame(300, MuxClientKind.Frame, inner);
    expect(frame).toEqual(
      build((e) => {
        encoding.writeVarUint(e, 300);
        encoding.writeVarUint(e, 1);
        encoding.writeUint8Array(e, inner);
      }),
    );
    const { channel, kind, payload } = decodeMuxFrame(frame);
    expect([channel, kind]).toEqual([300, MuxClientKind.Frame]);
    expect(payload).toEqual(inner);
    expect(decodeMuxFrame(encodeMuxFrame(7, MuxServerKind.Opened)).payload.length).toBe(0);
  });

  it("carries an OPEN's document id and query, and a close's code and reason", () => {
    const open = decodeMuxFrame(encodeOpen(4, "notes/ü 1", "token=a.b.c&epoch=e1"));
    expect(open.kind).toBe(MuxClientKind.Open);
    expect(decodeOpen(open.payload)).toEqual({ docId: "notes/ü 1", query: "token=a.b.c&epoch=e1" });
    const closed = decodeMuxFrame(encodeClose(4, MuxServerKind.Closed, 4403, "forbidden: no"));
    expect(decodeClose(closed.payload)).toEqual({ code: 4403, reason: "forbidden: no" });
    expect(decodeText(decodeMuxFrame(encodeText(4, MuxServerKind.Text, "pong")).payload)).toBe(
      "pong",
    );
  });

  it("refuses malformed frames with ProtocolError", () => {
    expect(() => decodeMuxFrame(new Uint8Array([]))).toThrow(ProtocolError);
    expect(() => decodeMuxFrame(new Uint8Array([5]))).toThrow(ProtocolError);
    expect(() => decodeMuxFrame(new Uint8Array([0x80]))).toThrow(ProtocolError); // cut varUint
    expect(() => decodeOpen(new Uint8Array([3, 97]))).toThrow(ProtocolError); // string cut short
    const trailing = build((e) => {
      encoding.writeVarString(e, "doc");
      encoding.writeVarString(e, "");
      encoding.writeUint8(e, 1);
    });
    expect(() => decodeOpen(trailing)).toThrow(ProtocolError);
    expect(() => decodeClose(new Uint8Array([]))).toThrow(ProtocolError);
    expect(() => decodeText(new Uint8Array([0xff, 0xfe]))).toThrow(ProtocolError);
  });
});
