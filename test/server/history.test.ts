// History through the real Worker and Durable Object (the shared open server, wrangler dev):
// writes of a real trace over REST with the times they were answered, then `?at=` and
// `?version=` reads of /json and /update against a replay of the trace (the oracle's smaller
// check through the real stack), versions and activity paged and filtered, the SDK's history
// calls, restore and revert answered once durable, and the errors of each route.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createVersion, listVersions, restoreDocument, revertChanges } from "../../client/history";
import { uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";
import { loadTrace } from "../helpers/trace";

const server = () => sharedServer("open");
const docUrl = (docId: string) => `${server().url}/v1/docs/${encodeURIComponent(docId)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json(docId: string, query = ""): Promise<{ status: number; body: any }> {
  const res = await fetch(`${docUrl(docId)}/json${query}`);
  return { status: res.status, body: await res.json() };
}

async function post(docId: string, update: Uint8Array): Promise<void> {
  const res = await fetch(`${docUrl(docId)}/update`, { method: "POST", body: update });
  expect(res.status).toBe(200);
}

async function postJson(docId: string, route: string, body: unknown) {
  const res = await fetch(`${docUrl(docId)}/${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("history over REST", () => {
  it("reads ?at= and ?version= as the trace replayed up to that moment; lists versions and activity", async () => {
    const docId = uniqueDocId("history");
    const trace = loadTrace("friendsforever_flat");
    const editor = new Y.Doc();
    const text = editor.getText("t");
    // 12 batches of the trace, each one POST, with the moments between them recorded.
    const batch = 40;
    const moments: { at: number; text: string }[] = [];
    for (let b = 0; b < 12; b++) {
      const before = Y.encodeStateVector(editor);
      editor.transact(() => {
        for (const txn of trace.txns.slice(b * batch, (b + 1) * batch))
          for (const [pos, del, insert] of txn.patches) {
            if (del > 0) text.delete(pos, del);
            if (insert) text.insert(pos, insert);
          }
      });
      await post(docId, Y.encodeStateAsUpdate(editor, before));
      const answered = Date.now();
      await sleep(15);
      moments.push({ at: answered + 5, text: text.toString() });
      await sleep(15);
    }
    for (const { at, text: expected } of moments) {
      expect((await json(docId, `?at=${at}`)).body, `at ${at}`).toEqual({ t: expected });
    }
    // The binary read at a moment, and what a state vector lacks of it.
    const mid = moments[5]!;
    const bin = await fetch(`${docUrl(docId)}/update?at=${mid.at}`);
    expect(bin.status).toBe(200);
    const past = new Y.Doc();
    Y.applyUpdate(past, new Uint8Array(await bin.arrayBuffer()));
    expect(past.getText("t").toString()).toBe(mid.text);

    // A named version through the SDK, read back after more writes.
    const sdk = { url: server().url, docId };
    const version = await createVersion(sdk, "before the end");
    expect(version).toMatchObject({ kind: "version", name: "before the end", actor: "http" });
    const named = text.toString();
    const before = Y.encodeStateVector(editor);
    text.insert(0, "LATER ");
    await post(docId, Y.encodeStateAsUpdate(editor, before));
    expect((await json(docId, `?version=${version.id}`)).body).toEqual({ t: named });
    const listed = await listVersions(sdk, { named: true });
    expect(listed.versions.map((v) => v.id)).toEqual([version.id]);
    const all = await listVersions(sdk, { limit: 1 });
    expect(all.versions).toHaveLength(1);
    expect(all.cursor).not.toBeNull(); // the first load's checkpoint is on the next page
    const next = await listVersions(sdk, { cursor: all.cursor!, limit: 10 });
    expect(next.versions.at(-1)).toMatchObject({ kind: "checkpoint", seq: 0 });

    // Activity: one entry per stored update, newest first, paged and filtered.
    const res = await fetch(`${docUrl(docId)}/activity?limit=5`);
    const page = (await res.json()) as any;
    expect(page.activity).toHaveLength(5);
    expect(page.activity[0]).toMatchObject({ actor: "http", origin: "rest", roots: ["t"] });
    const rest = (await (
      await fetch(`${docUrl(docId)}/activity?cursor=${page.cursor}&limit=100`)
    ).json()) as any;
    expect(page.activity.length + rest.activity.length).toBe(13);
    const windowed = (await (
      await fetch(`${docUrl(docId)}/activity?from=${moments[2]!.at}&to=${moments[4]!.at}`)
    ).json()) as any;
    expect(windowed.activity).toHaveLength(2);
    const nobody = (await (await fetch(`${docUrl(docId)}/activity?actor=nobody`)).json()) as any;
    expect(nobody.activity).toEqual([]);
  });

  it("restores a moment and reverts an actor's window as forward changes, answered once stored", async () => {
    const docId = uniqueDocId("restore");
    const sdk = { url: server().url, docId };
    const editor = new Y.Doc();
    const text = editor.getText("t");
    text.insert(0, "first draft");
    await post(docId, Y.encodeStateAsUpdate(editor));
    await sleep(20);
    const good = Date.now();
    await sleep(20);
    const sv = Y.encodeStateVector(editor);
    text.delete(0, text.length);
    text.insert(0, "vandalised");
    await post(docId, Y.encodeStateAsUpdate(editor, sv));
    expect((await json(docId)).body).toEqual({ t: "vandalised" });

    const restored = await restoreDocument(sdk, { at: good });
    expect(restored.changed).toBe(true);
    expect((await json(docId)).body).toEqual({ t: "first draft" });
    // Restoring to just before the restore brings the vandalised text back (it was recorded).
    const activity = (await (await fetch(`${docUrl(docId)}/activity?limit=1`)).json()) as any;
    expect(activity.activity[0]).toMatchObject({ origin: "restore", seq: restored.seq });
    const back = await postJson(docId, "restore", { at: activity.activity[0].ts - 1 });
    expect(back.status).toBe(200);
    expect((await json(docId)).body).toEqual({ t: "vandalised" });

    // Revert the REST actor's window that contained the vandalism: the first draft again.
    const reverted = await revertChanges(sdk, { actor: "http", from: good, to: good + 1_000_000 });
    expect(reverted.changed).toBe(true);
    expect((await json(docId)).body).toEqual({ t: "first draft" });

    // A window opening before the document's history (from 0: everything that actor did).
    const other = uniqueDocId("revert-all");
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "only http wrote this");
    await post(other, Y.encodeStateAsUpdate(doc));
    const all = await revertChanges(
      { url: server().url, docId: other },
      { actor: "http", from: 0, to: Date.now() + 60_000 },
    );
    expect(all.changed).toBe(true);
    const now = new Y.Doc(); // (an emptied root has no content JSON could tell the type by)
    Y.applyUpdate(
      now,
      new Uint8Array(await (await fetch(`${docUrl(other)}/update`)).arrayBuffer()),
    );
    expect(now.getText("t").toString()).toBe("");
  });

  it("answers clear errors", async () => {
    const docId = uniqueDocId("history-errors");
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "x");
    await post(docId, Y.encodeStateAsUpdate(doc));
    const code = async (res: Response) => [res.status, ((await res.json()) as any).error.code];
    expect(await code(await fetch(`${docUrl(docId)}/json?version=999`))).toEqual([
      404,
      "version_not_found",
    ]);
    expect(await code(await fetch(`${docUrl(docId)}/json?at=1000`))).toEqual([
      410,
      "history_not_retained",
    ]);
    expect(await code(await fetch(`${docUrl(docId)}/json?at=1&version=1`))).toEqual([
      400,
      "invalid_request",
    ]);
    expect(await code(await fetch(`${docUrl(docId)}/update?at=soon`))).toEqual([
      400,
      "invalid_request",
    ]);
    expect(await code(await fetch(`${docUrl(uniqueDocId("none"))}/versions`))).toEqual([
      404,
      "document_not_found",
    ]);
    const bad = await postJson(docId, "revert", { actor: "a", from: 5, to: 1 });
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
    const both = await postJson(docId, "restore", { at: 1, version: "1" });
    expect([both.status, both.body.error.code]).toEqual([400, "invalid_request"]);
    const old = await postJson(docId, "restore", { at: 1000 });
    expect([old.status, old.body.error.code]).toEqual([410, "history_not_retained"]);
    expect((await json(docId)).body).toEqual({ t: "x" }); // nothing changed
  });
});
