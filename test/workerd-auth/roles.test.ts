// Roles in the Durable Object: a read socket's writes change nothing and it is told so;
// write sockets work; an expired token closes its socket with 4401 and a fresh one works.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import type { DocumentObject } from "../../durable-objects/document-object";
import { CloseCode } from "../../protocol/close-codes";
import { MessageType, encodeSyncStep2, encodeSyncUpdate } from "../../protocol/messages";
import { createToken, type Role } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { SyncedDoc, stubFor, uniqueDocId } from "../helpers/workerd-socket";

/** How late after its token's expiry an idle socket may be closed (alarm delivery, a busy runtime). */
const EXPIRY_SLACK_MS = 1_500;

const tokenQuery = async (docId: string, role: Role, ttlSeconds = 600) =>
  `?token=${await createToken(TEST_AUTH_SECRET, { doc: docId, role, ttlSeconds })}`;

const isPermissionDenied = (m: Uint8Array) => {
  const d = decoding.createDecoder(m);
  return decoding.readVarUint(d) === MessageType.Auth && decoding.readVarUint(d) === 0;
};

const serverVector = (docId: string) =>
  runInDurableObject(stubFor(docId), async (o: DocumentObject) => (await o.stats()).updateCount);

describe("roles", () => {
  it("refuses a read socket's step 2 and updates, tells it, and leaves others untouched", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId, await tokenQuery(docId, "write"));
    writer.doc.getText("t").insert(0, "original");
    const reader = await SyncedDoc.open(docId, await tokenQuery(docId, "read"));
    await reader.waitForText("original");
    const before = await serverVector(docId);

    const intruder = new Y.Doc();
    intruder.getText("t").insert(0, "vandalism ");
    const update = Y.encodeStateAsUpdate(intruder);
    reader.socket.send(encodeSyncStep2(update));
    reader.socket.send(encodeSyncUpdate(update));
    await reader.socket.waitFor(isPermissionDenied);
    await reader.socket.waitFor(
      () => reader.socket.messages.filter(isPermissionDenied).length === 2,
    );
    // Its connect-time step 2 held nothing new, so only the two real attempts were refused.
    await new Promise((r) => setTimeout(r, 50));
    expect(reader.socket.messages.filter(isPermissionDenied)).toHaveLength(2);

    // Nothing stored, nothing broadcast: the writer's next edit arrives alone.
    writer.doc.getText("t").insert(8, "!");
    const watcher = await SyncedDoc.open(docId, await tokenQuery(docId, "read"));
    await watcher.waitForText("original!");
    await writer.waitForText("original!");
    expect(await serverVector(docId)).toBe(before + 1);
    expect(reader.socket.closeInfo).toBeNull(); // read sockets stay connected
  });

  it("lets write and admin sockets edit", async () => {
    const docId = uniqueDocId();
    const w = await SyncedDoc.open(docId, await tokenQuery(docId, "write"));
    const a = await SyncedDoc.open(docId, await tokenQuery(docId, "admin"));
    w.doc.getText("t").insert(0, "w");
    a.doc.getText("t").insert(0, "a");
    const expected = Y.mergeUpdates([Y.encodeStateAsUpdate(w.doc), Y.encodeStateAsUpdate(a.doc)]);
    const merged = new Y.Doc();
    Y.applyUpdate(merged, expected);
    await w.waitForText(merged.getText("t").toString());
    await a.waitForText(merged.getText("t").toString());
  });

  it("closes a socket with 4401 when its token expires, and a fresh token reconnects", async () => {
    const docId = uniqueDocId();
    const query = await tokenQuery(docId, "write", 2);
    const claims = JSON.parse(atob(query.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    const shortLived = await SyncedDoc.open(docId, query);
    shortLived.doc.getText("t").insert(0, "before expiry");
    await (
      await SyncedDoc.open(docId, await tokenQuery(docId, "read"))
    ).waitForText("before expiry");
    // No message needed: the alarm set for the token's expiry closes the idle socket.
    const closed = await shortLived.socket.closed;
    expect(closed.code).toBe(CloseCode.Unauthenticated);
    // At expiry, not at the next alarm for something else (it was ~10 s late).
    expect(Date.now() - (claims as { exp: number }).exp * 1000).toBeLessThan(EXPIRY_SLACK_MS);
    const renewed = await SyncedDoc.open(docId, await tokenQuery(docId, "write"));
    await renewed.waitForText("before expiry");
    renewed.doc.getText("t").insert(0, "after renewal, ");
    await (
      await SyncedDoc.open(docId, await tokenQuery(docId, "read"))
    ).waitForText("after renewal, before expiry");
  }, 15_000);
});
