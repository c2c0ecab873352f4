import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeQueryAwareness } from "./client-messages";
import {
  encodeAwareness,
  encodeSaved,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  ProtocolError,
} from "./envelope";
import { decodeServerMessage, encodeEpoch, encodePermissionDenied } from "./server-messages";

describe("decodeServerMessage", () => {
  it("decodes everything the server sends", () => {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "hi");
    const sv = Y.encodeStateVector(doc);
    const update = Y.encodeStateAsUpdate(doc);
    expect(decodeServerMessage(encodeSyncStep1(sv))).toEqual({
      kind: "sync-step1",
      stateVector: sv,
    });
    expect(decodeServerMessage(encodeSyncStep2(update))).toEqual({ kind: "sync-step2", update });
    expect(decodeServerMessage(encodeSyncUpdate(update))).toEqual({ kind: "sync-update", update });
    expect(decodeServerMessage(encodeAwareness(new Uint8Array([0])))).toEqual({
      kind: "awareness",
      update: new Uint8Array([0]),
    });
    expect(decodeServerMessage(encodeQueryAwareness())).toEqual({ kind: "query-awareness" });
    expect(decodeServerMessage(encodePermissionDenied("read-only"))).toEqual({
      kind: "permission-denied",
      reason: "read-only",
    });
    expect(decodeServerMessage(encodeSaved(300))).toEqual({ kind: "saved", counter: 300 });
    expect(decodeServerMessage(encodeEpoch("e-1"))).toEqual({ kind: "epoch", epoch: "e-1" });
  });

  it("rejects unknown types, truncation and trailing bytes", () => {
    const unknown = encoding.createEncoder();
    encoding.writeVarUint(unknown, 77);
    expect(() => decodeServerMessage(encoding.toUint8Array(unknown))).toThrow(ProtocolError);
    const step1 = encodeSyncStep1(new Uint8Array([0]));
    expect(() => decodeServerMessage(step1.slice(0, 2))).toThrow(ProtocolError);
    expect(() => decodeServerMessage(new Uint8Array([...encodeSaved(1), 0]))).toThrow(
      ProtocolError,
    );
  });
});
