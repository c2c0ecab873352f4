// Malformed frames close only the sending socket with 4400 and change nothing; the room keeps
// serving the other sockets.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { MessageType, SyncType } from "../../protocol/messages";
import type { DocumentObject } from "../../durable-objects/document-object";
import { rawFrame } from "../helpers/frames";
import { SyncedDoc, openSocket, uniqueDocId } from "../helpers/workerd-socket";

const updateFrame = (payload: Uint8Array) =>
  rawFrame((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncType.Update);
    encoding.writeVarUint8Array(e, payload);
  });

const MALFORMED: [string, Uint8Array | string][] = [
  ["empty frame", new Uint8Array()],
  ["truncated varint", new Uint8Array([0x80])],
  [
    "overflowing varint",
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  ],
  ["unknown message type", new Uint8Array([42])],
  ["unknown sync type", new Uint8Array([0, 9, 0])],
  ["length prefix longer than the frame", new Uint8Array([0, 2, 50, 1, 2])],
  ["bytes that are not a Yjs update", updateFrame(new Uint8Array([5, 200, 1, 7, 7, 7]))],
  ["trailing bytes", new Uint8Array([3, 0])],
  [
    "awareness that is not JSON",
    rawFrame((e) => {
      encoding.writeVarUint(e, MessageType.Awareness);
      encoding.writeVarUint8Array(
        e,
        rawFrame((a) => {
          encoding.writeVarUint(a, 1);
          encoding.writeVarUint(a, 5);
          encoding.writeVarUint(a, 1);
          encoding.writeVarString(a, "{nope");
        }),
      );
    }),
  ],
  ["a text frame other than ping", "hello"],
];

describe("malformed frames", () => {
  it.each(MALFORMED)("%s closes only that socket with 4400", async (_name, frame) => {
    const docId = uniqueDocId();
    const honest = await SyncedDoc.open(docId);
    honest.doc.getText("t").insert(0, "safe");
    const other = await SyncedDoc.open(docId);
    await other.waitForText("safe");
    const stub = env.DOCUMENTS.get(env.DOCUMENTS.idFromName(docId));
    const before = await runInDurableObject(stub, (o: DocumentObject) => o.stats());

    const bad = await openSocket(`/sync/${docId}`);
    bad.send(frame);
    expect((await bad.closed).code).toBe(CloseCode.ProtocolError);

    honest.doc.getText("t").insert(4, " and sound");
    await other.waitForText("safe and sound");
    const after = await runInDurableObject(stub, (o: DocumentObject) => o.stats());
    expect(after.updateCount).toBe(before.updateCount + 1);
    expect(honest.socket.closeInfo).toBeNull();
  });

  it("answers the text ping with pong without involving the room", async () => {
    const socket = await openSocket(`/sync/${uniqueDocId()}`);
    socket.send("ping");
    await socket.waitFor((m) => new TextDecoder().decode(m) === "pong");
    expect(socket.closeInfo).toBeNull();
  });

  it("stores nothing from a rejected update", async () => {
    const docId = uniqueDocId();
    const source = new Y.Doc();
    source.getText("t").insert(0, "x".repeat(50));
    const valid = Y.encodeStateAsUpdate(source);
    const corrupted = valid.slice(0, valid.length - 3); // cut inside the content
    const bad = await openSocket(`/sync/${docId}`);
    bad.send(updateFrame(corrupted));
    expect((await bad.closed).code).toBe(CloseCode.ProtocolError);
    const reader = await SyncedDoc.open(docId);
    expect(reader.doc.getText("t").toString()).toBe("");
    const stats = await runInDurableObject(
      env.DOCUMENTS.get(env.DOCUMENTS.idFromName(docId)),
      (o: DocumentObject) => o.stats(),
    );
    expect(stats.updateCount).toBe(0);
  });
});
