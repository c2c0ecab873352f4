// The REST API against the real server: an HTTP write reaches a live y-websocket client and
// survives a SIGKILL restart; a "mobile" client syncing over HTTP converges with WebSocket
// editors; deletion is not undone by a stale client that reconnects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { syncOverHttp } from "../../client/http-sync";
import { startServer, type RunningServer } from "../helpers/server";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const json = async (docId: string) =>
  (await (await fetch(`${server.url}/v1/docs/${docId}/json`)).json()) as Record<string, unknown>;

describe("REST API against the real server", () => {
  it("delivers an HTTP update live to a y-websocket client, durably", async () => {
    const docId = uniqueDocId("http");
    const live = provider(server.wsUrl, docId);
    await whenSynced(live);
    const source = new Y.Doc();
    source.getText("t").insert(0, "written over HTTP");
    const res = await fetch(`${server.url}/v1/docs/${docId}/update`, {
      method: "POST",
      body: Y.encodeStateAsUpdate(source),
    });
    expect(res.status).toBe(200);
    await eventually(
      () => live.doc.getText("t").toString() === "written over HTTP",
      () => live.doc.getText("t").toString(),
    );
    live.destroy();
    await server.kill();
    await server.restart();
    expect(await json(docId)).toEqual({ t: "written over HTTP" });
  });

  it("converges a mobile client syncing over HTTP with WebSocket editors", async () => {
    const docId = uniqueDocId("mobile");
    const web = provider(server.wsUrl, docId);
    await whenSynced(web);
    web.doc.getText("t").insert(0, "web first. ");
    const mobile = new Y.Doc();
    mobile.getText("t").insert(0, "mobile offline edit. ");
    let state = await syncOverHttp(mobile, { url: server.url, docId });
    web.doc.getText("t").insert(web.doc.getText("t").length, "web again. ");
    mobile.getText("t").insert(mobile.getText("t").length, "mobile later. ");
    await eventually(
      () => web.doc.getText("t").toString().includes("mobile offline edit"),
      () => web.doc.getText("t").toString(),
    );
    state = await syncOverHttp(mobile, {
      url: server.url,
      docId,
      serverStateVector: state.serverStateVector,
      epoch: state.epoch,
    });
    await eventually(
      () => web.doc.getText("t").toString().includes("mobile later. "),
      () => web.doc.getText("t").toString(),
    );
    // One more round so the mobile side picks up anything the web side added meanwhile.
    await syncOverHttp(mobile, {
      url: server.url,
      docId,
      serverStateVector: state.serverStateVector,
      epoch: state.epoch,
    });
    expect(mobile.getText("t").toString()).toBe(web.doc.getText("t").toString());
    for (const part of ["web first. ", "web again. ", "mobile offline edit. ", "mobile later. "]) {
      expect(mobile.getText("t").toString()).toContain(part);
    }
    web.destroy();
  });

  it("deletes a document: sockets closed with 4404, and a stale stock client cannot bring it back", async () => {
    const docId = uniqueDocId("delete");
    const stale = provider(server.wsUrl, docId);
    await whenSynced(stale);
    stale.doc.getText("t").insert(0, "old content");
    await eventually(
      () => false,
      () => "",
      300,
    ).catch(() => undefined);
    const closes: number[] = [];
    stale.on(
      "connection-close",
      (event: { code: number } | null) => event && closes.push(event.code),
    );
    const res = await fetch(`${server.url}/v1/docs/${docId}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    await eventually(
      () => closes.includes(4404),
      () => `closes ${closes}`,
    );
    // y-websocket 3 treats 44xx as permanent and stops; an app that reconnects it anyway (a
    // reload with stale local state) replays its old state, and the server drops it.
    stale.connect();
    await eventually(
      () => stale.wsconnected && stale.synced,
      () => `stale client: connected ${stale.wsconnected} synced ${stale.synced} closes ${closes}`,
      30_000,
    );
    const fresh = provider(server.wsUrl, docId);
    await whenSynced(fresh);
    fresh.doc.getText("t").insert(0, "new document");
    await eventually(
      () => stale.doc.getText("t").toString().includes("new document"),
      () => stale.doc.getText("t").toString(),
    );
    expect((await json(docId)).t).toBe("new document");
    expect(fresh.doc.getText("t").toString()).toBe("new document");
    stale.destroy();
    fresh.destroy();
  });
});
