// What one socket may cost a document: a message budget shared by the document's sockets (the
// heaviest senders are refused, a typist keeps going, a refused socket's frames are dropped) and
// a budget for the replies a socket asks for (a client that never reads makes the server queue them).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { CloseCode } from "../../protocol/close-codes";
import {
  MessageType,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncUpdate,
} from "../../protocol/messages";
import { awarenessFrame } from "../helpers/frames";
import { SyncedDoc, openSocket, stubFor, uniqueDocId } from "../helpers/workerd-socket";

/** This project's budgets (see vitest.config.ts). */
const DOC_RATE_MESSAGES = 100;
const REPLY_BUDGET_BYTES = 4 * 1024 * 1024;
/** Flooding sockets and the frames each sends: under the per-socket limit (500 in this project), over the document's budget together. */
const FLOODERS = 5;
const FLOOD_FRAMES = 490;
/** Bytes of the document (and of one awareness state) in the reply-budget tests. */
const BIG = 1024 * 1024;
/** Requests sent by the socket that never reads: far more than the reply budget covers. */
const REQUESTS = 20;

const serverText = (docId: string, name: string) =>
  runInDurableObject(stubFor(docId), async (o: DocumentObject) => {
    await o.stats();
    return (await o.getJson(docId)) as { ok: boolean; json?: Record<string, unknown> };
  }).then((r) => String(r.json?.[name] ?? ""));

describe("document budget", () => {
  it("refuses the heaviest senders, keeps the typist, and applies nothing they send after", async () => {
    expect(FLOODERS * FLOOD_FRAMES).toBeGreaterThan(DOC_RATE_MESSAGES);
    const docId = uniqueDocId();
    const typist = await SyncedDoc.open(docId);
    const reader = await SyncedDoc.open(docId);
    const flooders = await Promise.all(
      Array.from({ length: FLOODERS }, () => openSocket(`/sync/${docId}`)),
    );
    // Interleaved, as sockets flooding at once arrive: a socket is refused on its next frame.
    const docs = flooders.map((flooder) => {
      const doc = new Y.Doc();
      doc.on("update", (u: Uint8Array) => flooder.send(encodeSyncUpdate(u)));
      return doc;
    });
    for (let n = 0; n < FLOOD_FRAMES; n++)
      docs.forEach((doc, i) => doc.getText("flood").insert(0, String(i)));
    for (const doc of docs) doc.getText("sentinel").insert(0, "applied after refusal");
    typist.doc.getText("t").insert(0, "still typing");
    for (const flooder of flooders) {
      const closed = await flooder.closed;
      expect(closed.code).toBe(CloseCode.RateLimited);
      expect(closed.reason).toMatch(/more than its share/);
    }
    typist.doc.getText("t").insert(12, ", after the flood");
    await reader.waitForText("still typing, after the flood");
    expect(typist.socket.closeInfo).toBeNull();
    expect(reader.socket.closeInfo).toBeNull();
    expect(await serverText(docId, "sentinel")).toBe("");
    expect((await serverText(docId, "flood")).length).toBeLessThan(FLOODERS * FLOOD_FRAMES);
  }, 30_000);
});

describe("reply budget", () => {
  it("closes a socket that keeps asking for the whole document with 4529", async () => {
    const docId = uniqueDocId();
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "x".repeat(BIG));
    const reader = await SyncedDoc.open(docId);
    await reader.waitForText(writer.doc.getText("t").toString(), "t", 20_000);
    const greedy = await openSocket(`/sync/${docId}`);
    for (let i = 0; i < REQUESTS; i++) greedy.send(encodeSyncStep1(new Uint8Array([0])));
    const closed = await greedy.closed;
    expect(closed.code).toBe(CloseCode.RateLimited);
    expect(closed.reason).toMatch(/reply budget/);
    const step2s = greedy.messages.filter(
      (m) => m[0] === MessageType.Sync && m[1] === 1 && m.length > BIG,
    );
    expect(step2s.length).toBeLessThanOrEqual(Math.ceil(REPLY_BUDGET_BYTES / BIG));
    expect(writer.socket.closeInfo).toBeNull();
  }, 60_000);

  it("closes a socket that keeps asking for every awareness state with 4529", async () => {
    const docId = uniqueDocId();
    const owner = await openSocket(`/sync/${docId}`);
    owner.send(awarenessFrame(7007, 1, { blob: "y".repeat(BIG) }));
    const greedy = await openSocket(`/sync/${docId}`);
    await greedy.waitFor((m) => m[0] === MessageType.Awareness && m.length > BIG, 20_000);
    const query = encodeQueryAwareness();
    for (let i = 0; i < REQUESTS; i++) greedy.send(query);
    const closed = await greedy.closed;
    expect(closed.code).toBe(CloseCode.RateLimited);
    const replies = greedy.messages.filter((m) => m[0] === MessageType.Awareness && m.length > BIG);
    // The greeting is not charged; the queries are, up to the budget.
    expect(replies.length).toBeLessThanOrEqual(1 + Math.ceil(REPLY_BUDGET_BYTES / BIG));
    expect(owner.closeInfo).toBeNull();
  }, 60_000);
});
