// Updates whose structs cannot integrate (a client's first clock withheld) used to be parked by
// Yjs inside the document: counted toward MAX_DOC_ITEMS / MAX_DOC_BYTES and written into the
// snapshot at compaction, so one such update, any write and a restart refused every later edit
// for good (issue 26). Now the room never keeps them: the writer is told, nothing is stored,
// and the document stays writable across a restart. A client's own reconnect race stays silent.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { decodeServerMessage } from "../../protocol/server-messages";
import { encodeSyncStep2, encodeSyncUpdate, MessageType } from "../../protocol/messages";
import {
  fetchWorker,
  openSocket,
  stubFor,
  SyncedDoc,
  uniqueDocId,
} from "../helpers/workerd-socket";

const MAX_ITEMS = Number((env as unknown as Record<string, string>).MAX_DOC_ITEMS);
const MAX_BYTES = Number((env as unknown as Record<string, string>).MAX_DOC_BYTES);
/** Bytes of random text in each withheld-clock update posted over REST (under the 4 MiB message cap). */
const CHUNK_BYTES = 3 * 1024 * 1024;

/**
 * A writer's updates with its first one withheld: `rest(n)` makes one update that depends on it,
 * `n` map entries (n structs) or, with `text`, one string of that many characters.
 */
function withheldFirst() {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  doc.getMap("m").set("first", 0);
  return {
    entries(n: number): Uint8Array {
      doc.transact(() => {
        for (let i = 0; i < n; i++) doc.getMap("m").set(`k${i}`, i);
      });
      return updates[updates.length - 1]!;
    },
    text(chars: number): Uint8Array {
      const bytes = new Uint8Array(chars / 2);
      for (let i = 0; i < bytes.length; i += 65536)
        crypto.getRandomValues(bytes.subarray(i, i + 65536));
      doc.getText("t").insert(0, [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""));
      return updates[updates.length - 1]!;
    },
  };
}

const post = (docId: string, update: Uint8Array) =>
  fetchWorker(`/v1/docs/${docId}/update`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update,
  });

/** A 19-byte update from a fresh client: one map entry. */
function tiny(): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap("m").set("x", 1);
  return Y.encodeStateAsUpdate(doc);
}

const restart = async (docId: string) => {
  await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.persistNow());
  await evictDurableObject(stubFor(docId), { webSockets: "close" });
};

describe("updates that cannot integrate", () => {
  it("are refused on a socket without closing it, and never lock the document, restart included", async () => {
    const docId = uniqueDocId("parked");
    const writer = await SyncedDoc.open(docId);
    const reader = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "before");
    await reader.waitForText("before");
    // Each under the struct cap, together past it, all waiting for a clock the server never gets.
    const withheld = withheldFirst();
    for (let i = 0; i < 2; i++)
      writer.socket.send(encodeSyncUpdate(withheld.entries(0.6 * MAX_ITEMS)));
    await writer.socket.waitFor(
      () => writer.socket.messages.filter((m) => m[0] === MessageType.Auth).length === 2,
      20_000,
    );
    const denied = writer.socket.messages.find((m) => m[0] === MessageType.Auth)!;
    expect(decodeServerMessage(denied)).toMatchObject({
      kind: "permission-denied",
      reason: expect.stringMatching(/does not have/),
    });
    writer.doc.getText("t").insert(6, ", after");
    await reader.waitForText("before, after");
    expect(writer.socket.closeInfo).toBeNull();

    await restart(docId);
    const res = await post(docId, tiny());
    expect(res.status).toBe(200);
    const again = await SyncedDoc.open(docId);
    await again.waitForText("before, after");
    again.doc.getText("t").insert(0, "> ");
    const check = await SyncedDoc.open(docId);
    await check.waitForText("> before, after");
    expect(check.socket.closeInfo).toBeNull();
    const stats = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(stats.encodedBytes).toBeLessThan(1024);
  }, 60_000);

  it("are refused over REST with 409 and never count toward MAX_DOC_BYTES, restart included", async () => {
    const docId = uniqueDocId("parked-rest");
    expect((await post(docId, tiny())).status).toBe(200);
    const writer = withheldFirst();
    // Together past the byte cap: before, each was accepted and kept in the log and snapshot.
    for (let sent = 0; sent <= MAX_BYTES; sent += CHUNK_BYTES) {
      const res = await post(docId, writer.text(CHUNK_BYTES));
      expect(res.status).toBe(409);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("missing_dependencies");
    }
    expect((await post(docId, tiny())).status).toBe(200); // any write
    await restart(docId);
    expect((await post(docId, tiny())).status).toBe(200); // was 413 for these 19 bytes
    const stats = await runInDurableObject(stubFor(docId), (o: DocumentObject) => o.stats());
    expect(stats.encodedBytes).toBeLessThan(1024);
    expect(stats.snapshotBytes).toBeLessThan(1024);
  }, 120_000);

  it("are taken silently before a client's step 2, which brings what they needed", async () => {
    const docId = uniqueDocId("parked-race");
    const offline = new Y.Doc();
    const updates: Uint8Array[] = [];
    offline.on("update", (u: Uint8Array) => updates.push(u));
    offline.getText("t").insert(0, "made offline");
    const socket = await openSocket(`/sync/${docId}`);
    // Typed while connecting: it builds on the offline edit the server has not seen yet.
    offline.getText("t").insert(12, ", typed while connecting");
    socket.send(encodeSyncUpdate(updates[1]!));
    const step1 = await socket.waitFor((m) => m[0] === MessageType.Sync && m[1] === 0);
    const message = decodeServerMessage(step1);
    if (message.kind !== "sync-step1") throw new Error(message.kind);
    socket.send(encodeSyncStep2(Y.encodeStateAsUpdate(offline, message.stateVector)));
    const check = await SyncedDoc.open(docId);
    await check.waitForText("made offline, typed while connecting");
    expect(socket.messages.filter((m) => m[0] === MessageType.Auth)).toEqual([]);
    expect(socket.closeInfo).toBeNull();
  }, 30_000);
});
