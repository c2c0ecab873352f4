// SyncClient against the real server: many documents over one /mux socket, each provider
// behaving as over its own socket — sync, saved acks, offline stores across an app restart, a
// refusal that stays with its document, and nothing confirmed lost to a SIGKILL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  KeyValueStore,
  SyncClient,
  type SyncProvider,
  type WebSocketConstructor,
} from "../../client/index";
import { countingWebSocket, memoryStorage } from "../helpers/client-server";
import { startAuthServer, token } from "../helpers/hocuspocus";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import type { RunningServer } from "../helpers/server";

/** Documents over the one socket (issue 18: "100 documents over one socket"). */
const DOCS = 100;
/** Of those, edited offline before the app restart. */
const OFFLINE_EDITED = 20;
/** Small backoff so reconnects do not dominate the run time. */
const BACKOFF = { baseMs: 50, capMs: 500 };
/** Documents edited over the one socket when the server is SIGKILLed. */
const KILLED_DOCS = 8;
/** Pause between rounds of edits (one edit per document per round). */
const EDIT_EVERY_MS = 15;
/** Rounds per burst of edits; a pause follows each burst so saved acks catch up. */
const BURST = 8;
const PAUSE_MS = 400;
/** How long the edits run before the SIGKILL. */
const KILL_AFTER_MS = 4_000;
/** Generous waits: the machine is shared. */
const WAIT_MS = 90_000;

let server: RunningServer;
beforeAll(async () => {
  server = await startAuthServer();
});
afterAll(async () => {
  await server?.dispose();
});

const muxUrl = () => `${server.url.replace(/^http/, "ws")}/mux`;
const text = (p: SyncProvider) => p.doc.getText("t").toString();

/** A SyncClient over a WebSocket class that counts the real sockets it opens. */
function countingClient() {
  const { WebSocket, counter } = countingWebSocket<WebSocketConstructor>();
  return { client: new SyncClient({ url: muxUrl(), WebSocket }), counter };
}

/** What the server holds for `docId`, read by a stock y-websocket client on a direct socket. */
async function serverText(docId: string): Promise<string> {
  const direct = provider(server.wsUrl, docId, new Y.Doc(), { token: await token(docId) });
  await whenSynced(direct, WAIT_MS);
  const value = direct.doc.getText("t").toString();
  direct.destroy();
  return value;
}

async function all(list: SyncProvider[], what: "whenSynced" | "whenSaved"): Promise<void> {
  await Promise.all(list.map((p) => p[what]()));
}

describe("SyncClient: many documents over one socket", () => {
  it("syncs 100 documents over exactly one WebSocket, with saved acks and direct peers", async () => {
    const { client, counter } = countingClient();
    const ids = Array.from({ length: DOCS }, (_, i) => uniqueDocId(`mux${i}`));
    const list: SyncProvider[] = [];
    for (const docId of ids)
      list.push(client.provider({ docId, doc: new Y.Doc(), token: await token(docId) }));
    await all(list, "whenSynced");
    let saved = 0;
    for (const p of list) p.on("saved", () => saved++);
    list.forEach((p, i) => p.doc.getText("t").insert(0, `mux-${i}`));
    await all(list, "whenSaved");
    expect(saved).toBeGreaterThanOrEqual(DOCS);
    expect(counter.opened).toBe(1);
    expect(client.socketsOpened).toBe(1);

    // Direct y-websocket peers on a sample of the documents see the edits, and theirs arrive.
    for (const i of [0, 37, 99]) {
      const direct = provider(server.wsUrl, ids[i]!, new Y.Doc(), { token: await token(ids[i]!) });
      await whenSynced(direct, WAIT_MS);
      expect(direct.doc.getText("t").toString()).toBe(`mux-${i}`);
      direct.doc.getText("t").insert(0, "direct ");
      await eventually(
        () => text(list[i]!) === `direct mux-${i}`,
        () => `doc ${i}: ${text(list[i]!)}`,
        WAIT_MS,
      );
      direct.destroy();
    }
    expect(counter.opened).toBe(1);
    await client.destroy();
  }, 180_000);

  it("fails a refused document alone: the others stay synced and editable", async () => {
    const { client, counter } = countingClient();
    const ids = Array.from({ length: 6 }, (_, i) => uniqueDocId(`muxok${i}`));
    const list: SyncProvider[] = [];
    for (const docId of ids)
      list.push(client.provider({ docId, doc: new Y.Doc(), token: await token(docId) }));
    await all(list, "whenSynced");
    // A token for another document: the server refuses this one channel with 4403.
    const refused = client.provider({
      docId: uniqueDocId("muxdenied"),
      doc: new Y.Doc(),
      token: await token(ids[0]!),
      backoff: BACKOFF,
    });
    const error = await new Promise<{ code: string; closeCode?: number }>((resolve) =>
      refused.on("error", (e) => resolve(e as never)),
    );
    expect(error.closeCode).toBe(4403);
    expect(refused.status).toBe("disconnected");
    expect(list.every((p) => p.synced && p.status === "connected")).toBe(true);
    list.forEach((p, i) => p.doc.getText("t").insert(0, `after-${i}`));
    await all(list, "whenSaved");
    expect(await serverText(ids[3]!)).toBe("after-3");
    expect(counter.opened).toBe(1);
    await client.destroy();
  }, 120_000);

  it("restores offline edits to 20 of 100 documents after an app restart and syncs them", async () => {
    const device = memoryStorage(); // outlives both "app runs"
    const ids = Array.from({ length: DOCS }, (_, i) => uniqueDocId(`muxoff${i}`));
    const open = async (client: SyncClient, connect: boolean) => {
      const list: SyncProvider[] = [];
      for (const docId of ids) {
        const store = new KeyValueStore(device);
        const tok = await token(docId);
        list.push(client.provider({ docId, doc: new Y.Doc(), token: tok, store, connect }));
      }
      return list;
    };
    const first = countingClient();
    const before = await open(first.client, true);
    await all(before, "whenSynced");
    // Offline: the providers let their channels go; the edits exist only on the device.
    for (const p of before) p.disconnect();
    const edited = ids.slice(0, OFFLINE_EDITED);
    edited.forEach((_, i) => before[i]!.doc.getText("t").insert(0, `offline-${i}`));
    expect(before.slice(0, OFFLINE_EDITED).every((p) => p.hasUnsavedChanges)).toBe(true);
    await first.client.destroy(); // the app is killed
    expect(await serverText(edited[0]!)).toBe(""); // nothing reached the server

    // The app starts again: a new client, new docs, the same device storage.
    const second = countingClient();
    const after = await open(second.client, false);
    await Promise.all(after.map((p) => p.whenLoaded()));
    after.slice(0, OFFLINE_EDITED).forEach((p, i) => {
      expect(text(p)).toBe(`offline-${i}`);
      expect(p.hasUnsavedChanges).toBe(true);
    });
    for (const p of after) void p.connect();
    await all(after, "whenSynced");
    await all(after, "whenSaved");
    expect(second.counter.opened).toBe(1);
    await second.client.destroy();
    for (let i = 0; i < OFFLINE_EDITED; i++)
      expect(await serverText(edited[i]!)).toBe(`offline-${i}`);
    expect(await serverText(ids[OFFLINE_EDITED]!)).toBe("");
  }, 240_000);

  // Last: it SIGKILLs and restarts the server.
  it("loses no update whose saved ack reached the client when SIGKILLed mid-edit", async () => {
    const { client, counter } = countingClient();
    const ids = Array.from({ length: KILLED_DOCS }, (_, i) => uniqueDocId(`muxkill${i}`));
    const list: SyncProvider[] = [];
    for (const docId of ids)
      list.push(client.provider({ docId, doc: new Y.Doc(), token: await token(docId) }));
    await all(list, "whenSynced");
    // The state each provider had at its last saved ack: all of it was stored.
    const confirmed = list.map(() => new Map<number, number>());
    list.forEach((p, i) =>
      p.on("saved", () => (confirmed[i] = Y.decodeStateVector(Y.encodeStateVector(p.doc)))),
    );
    let round = 0;
    const edit = async (ms: number) => {
      const started = Date.now();
      while (Date.now() - started < ms) {
        for (const p of list) p.doc.getText("t").insert(p.doc.getText("t").length, `${round} `);
        round++;
        await new Promise((r) => setTimeout(r, round % BURST === 0 ? PAUSE_MS : EDIT_EVERY_MS));
      }
    };
    await edit(KILL_AFTER_MS / 2);
    await all(list, "whenSaved"); // at least one saved ack per document before the kill
    await edit(KILL_AFTER_MS / 2);
    // Counted before the kill: once the server is gone the client dials again (a new socket each
    // try) until it is destroyed.
    const openedBeforeKill = counter.opened;
    await server.kill();
    const acked = confirmed.map((sv) => new Map(sv));
    // Gone before the restart, so nothing unsaved is pushed again afterwards.
    await client.destroy();
    expect(openedBeforeKill).toBe(1);
    expect(acked.filter((sv) => sv.size > 0).length).toBe(KILLED_DOCS); // not vacuous
    await server.restart();

    for (let i = 0; i < KILLED_DOCS; i++) {
      const direct = provider(server.wsUrl, ids[i]!, new Y.Doc(), { token: await token(ids[i]!) });
      await whenSynced(direct, WAIT_MS);
      const loaded = Y.decodeStateVector(Y.encodeStateVector(direct.doc));
      for (const [id, clock] of acked[i]!)
        expect(loaded.get(id) ?? 0, `${ids[i]} lost saved updates`).toBeGreaterThanOrEqual(clock);
      direct.destroy();
    }
  }, 300_000);
});
