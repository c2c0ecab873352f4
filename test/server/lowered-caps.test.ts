// A document stored under higher caps, served after its memory budget (MAX_DOC_HEAP_BYTES),
// MAX_DOC_BYTES and MAX_DOC_ITEMS were lowered
// (real server, restarted on the same storage with new vars): it loads whole, a returning stock
// client that only re-sends what the document has (its step 2 carries its delete set) is not
// closed, and only growth is refused.
import { afterAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { startServer, type RunningServer } from "../helpers/server";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";

/** Far below what the document holds (~60 KB, ~3,000 structs, ~1 MB of estimated heap). */
const LOWERED = { MAX_DOC_HEAP_BYTES: "65536", MAX_DOC_BYTES: "8192", MAX_DOC_ITEMS: "100" };

/** What a client or the server holds of the document, comparable as a string. */
const view = (doc: Y.Doc) =>
  JSON.stringify([doc.getText("t").toString(), doc.getMap("m").toJSON()]);

let server: RunningServer | null = null;
afterAll(async () => {
  await server?.dispose();
});

describe("caps lowered under a stored document", () => {
  it("loads it whole, keeps returning clients connected, and refuses only growth", async () => {
    server = await startServer();
    const docId = uniqueDocId("lowered");
    const doc = new Y.Doc();
    const writer = provider(server.wsUrl, docId, doc);
    await whenSynced(writer);
    const text = doc.getText("t");
    for (let i = 0; i < 200; i++)
      text.insert(text.length, `line ${i} of a document that grew before the caps were lowered\n`);
    for (let i = 0; i < 100; i++) text.delete(i * 40, 3); // tombstones: a delete set in every step 2
    for (let i = 0; i < 2000; i++) doc.getMap("m").set(`k${i}`, i);
    const expected = view(doc);
    const reader = provider(server.wsUrl, docId);
    await whenSynced(reader);
    await eventually(
      () => view(reader.doc) === expected,
      () => "reader behind",
    );
    writer.destroy();
    reader.destroy();
    await server.stop();

    server = await startServer({ persistTo: server.persistTo, vars: LOWERED });
    const fresh = provider(server.wsUrl, docId);
    await whenSynced(fresh);
    await eventually(
      () => view(fresh.doc) === expected,
      () => "fresh client did not get it all",
    );

    // The returning client holds exactly the document: its step 2 is not growth.
    const closes: number[] = [];
    const returning = provider(server.wsUrl, docId, doc);
    returning.on("connection-close", (event: CloseEvent | null) => closes.push(event?.code ?? 0));
    await whenSynced(returning);
    // Its step 2 answered our step 1, which came before our step 2 (its "synced"): an awareness
    // update sent now reaches another client only once that step 2 was handled.
    returning.awareness.setLocalStateField("user", "back");
    const seesReturning = () =>
      (fresh.awareness.getStates().get(doc.clientID) as { user?: string } | undefined)?.user ===
      "back";
    await eventually(seesReturning, () => `closes ${JSON.stringify(closes)}`);
    expect(closes).toEqual([]);
    expect(returning.wsconnected).toBe(true);

    // Growth is refused, and nothing of it is kept.
    const grown = new Y.Doc();
    Y.applyUpdate(grown, Y.encodeStateAsUpdate(doc));
    const before = Y.encodeStateVector(grown);
    grown.getText("t").insert(0, "more");
    const res = await fetch(`${server.url}/v1/docs/${docId}/update`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: Y.encodeStateAsUpdate(grown, before),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "document_too_large",
    );
    const json = (await (await fetch(`${server.url}/v1/docs/${docId}/json`)).json()) as {
      t: string;
      m: object;
    };
    expect(JSON.stringify([json.t, json.m])).toBe(expected);
    returning.destroy();
    fresh.destroy();
  }, 300_000);
});
