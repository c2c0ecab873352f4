// SIGKILL during multiplexed Hocuspocus editing: after a restart, every update whose SyncStatus
// had reached its provider is on disk, and a y-websocket client on the same documents sees it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  allSaved,
  allSynced,
  attach,
  hocuspocusSocket,
  startAuthServer,
  token,
  type Attached,
} from "../helpers/hocuspocus";
import { provider, uniqueDocId, whenSynced } from "../helpers/providers";
import type { RunningServer } from "../helpers/server";

/** Documents edited over the one shared socket. */
const DOCS = 8;
/** Pause between rounds of edits (one edit per document per round). */
const EDIT_EVERY_MS = 15;
/** Rounds per burst of edits. */
const BURST = 8;
/** Pause after each burst. */
const PAUSE_MS = 400;
/** How long the edits run before the SIGKILL. */
const KILL_AFTER_MS = 5_000;

let server: RunningServer;

beforeAll(async () => {
  server = await startAuthServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** True when state vector `a` covers everything in `b`. */
function covers(a: Map<number, number>, b: Map<number, number>): boolean {
  for (const [client, clock] of b) if ((a.get(client) ?? 0) < clock) return false;
  return true;
}

describe("Hocuspocus endpoint crash safety", () => {
  it("loses no update whose SyncStatus reached the client when SIGKILLed mid-edit", async () => {
    const names = Array.from({ length: DOCS }, (_, i) => uniqueDocId(`hpkill${i}`));
    const socket = hocuspocusSocket(server.url);
    const list: Attached[] = [];
    for (const name of names) list.push(attach(socket, name, await token(name)));
    await allSynced(list);
    // The state each provider had when its last change was confirmed: all of it was stored.
    const confirmed = list.map(() => new Map<number, number>());
    list.forEach((a, i) =>
      a.provider.on("unsyncedChanges", ({ number }: { number: number }) => {
        if (number === 0) confirmed[i] = Y.decodeStateVector(Y.encodeStateVector(a.doc));
      }),
    );
    let round = 0;
    const edit = async (ms: number) => {
      const started = Date.now();
      while (Date.now() - started < ms) {
        for (const a of list) a.doc.getText("t").insert(a.doc.getText("t").length, `${round} `);
        round++;
        // Bursts with pauses between them, so confirmations catch up (hasUnsyncedChanges false).
        await new Promise((r) => setTimeout(r, round % BURST === 0 ? PAUSE_MS : EDIT_EVERY_MS));
      }
    };
    await edit(KILL_AFTER_MS / 2);
    await allSaved(list); // at least one confirmation per document before the kill
    await edit(KILL_AFTER_MS / 2);
    await server.kill();
    const acked = confirmed.map((sv) => new Map(sv));
    for (const a of list) a.provider.destroy();
    socket.destroy();
    // Confirmations really arrived during the run (the check below is not vacuous).
    expect(acked.filter((sv) => sv.size > 0).length).toBe(DOCS);
    await server.restart();

    for (let i = 0; i < DOCS; i++) {
      const fresh = provider(server.wsUrl, names[i]!, undefined, { token: await token(names[i]!) });
      await whenSynced(fresh, 60_000);
      const loaded = Y.decodeStateVector(Y.encodeStateVector(fresh.doc));
      expect(covers(loaded, acked[i]!), `${names[i]} lost confirmed updates`).toBe(true);
      fresh.destroy();
    }
  }, 300_000);
});
