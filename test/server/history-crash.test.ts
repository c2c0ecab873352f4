// SIGKILL of the whole server (wrangler and workerd) while a restore and a revert are being
// computed and written: after a restart the document is either fully restored (reverted) or
// untouched, never in between, and never untouched when the caller was answered 200 or a
// watching client had already received the change. A private server with tokens, so the agent's
// socket writes carry its actor (a person's REST writes are "http"); a real trace in a dozen
// stored updates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { SyncProvider } from "../../client/index";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { privatePort, startServer, type RunningServer } from "../helpers/server";
import { applyTxn, loadTrace } from "../helpers/trace";

/** Stored updates each document is written in; every fourth is the agent's. */
const CHUNKS = 12;
/** The trace written: computing a restore over it takes a few hundred ms to kill in. */
const TRACE = "friendsforever_flat";

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ vars: { AUTH_SECRET: TEST_AUTH_SECRET }, port: privatePort });
});
afterAll(async () => {
  await server?.dispose();
});

const tokenFor = (doc: string, sub: string, role: "read" | "write" = "write") =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 3600, sub });

async function call(docId: string, route: string, sub: string, body?: unknown, raw?: Uint8Array) {
  const res = await fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}/${route}`, {
    method: body === undefined && raw === undefined ? "GET" : "POST",
    headers: {
      Authorization: `Bearer ${await tokenFor(docId, sub)}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const textOf = async (docId: string) => (await call(docId, "json", "reader")).body.t as string;

/**
 * Writes the trace as CHUNKS updates to each document: a person's over REST (actor "http"), every
 * fourth the agent's over a socket with its own token (our SDK, so it is known to be stored).
 * Returns the text and the time after each.
 */
async function write(docIds: string[]) {
  const trace = loadTrace(TRACE);
  const editor = new Y.Doc();
  const text = editor.getText("t");
  const agents = await Promise.all(
    docIds.map(async (docId) => {
      const agent = new SyncProvider({
        url: server.wsUrl,
        docId,
        doc: new Y.Doc(),
        token: await tokenFor(docId, "agent"),
      });
      await agent.whenSynced();
      return agent;
    }),
  );
  const per = Math.ceil(trace.txns.length / CHUNKS);
  const moments: { at: number; text: string }[] = [];
  for (let c = 0; c < CHUNKS; c++) {
    const before = Y.encodeStateVector(editor);
    for (const txn of trace.txns.slice(c * per, (c + 1) * per)) applyTxn(editor, text, txn);
    const update = Y.encodeStateAsUpdate(editor, before);
    if (c % 4 === 1) {
      await Promise.all(
        agents.map(async (agent) => {
          // The agent has what it builds on (the person's writes reach it over its socket).
          await eventually(
            () =>
              Y.encodeStateAsUpdate(editor, Y.encodeStateVector(agent.doc)).length ===
              update.length,
            () => "the agent did not receive the person's writes",
          );
          Y.applyUpdate(agent.doc, update);
          await agent.whenSaved();
        }),
      );
    } else {
      const written = await Promise.all(
        docIds.map((docId) => call(docId, "update", "person", undefined, update)),
      );
      for (const { status } of written) expect(status).toBe(200);
    }
    moments.push({ at: Date.now(), text: text.toString() });
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(agents.map((agent) => agent.destroy()));
  return moments;
}

interface Case {
  twin: string;
  docId: string;
  route: "restore" | "revert";
  body: unknown;
}

/**
 * Runs each case on its twin to completion (timed); then on its own document, all at once, with
 * a SIGKILL halfway through the shortest of those times. Returns, per case, the content done and
 * untouched, what the caller and a watching client saw, and the content after a restart.
 */
async function killDuring(cases: Case[]) {
  const calibrated = await Promise.all(
    cases.map(async ({ twin, route, body }) => {
      const started = Date.now();
      const answer = await call(twin, route, "editor", body);
      const took = Date.now() - started;
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.changed).toBe(true);
      return { took, done: await textOf(twin) };
    }),
  );
  const watchers = await Promise.all(
    cases.map(async ({ docId }) => {
      const watcher = provider(server.wsUrl, docId, new Y.Doc(), {
        token: await tokenFor(docId, "watcher", "read"),
      });
      await whenSynced(watcher);
      return watcher;
    }),
  );
  const untouched = watchers.map((w) => w.doc.getText("t").toString());
  const answers = cases.map(({ docId, route, body }) =>
    call(docId, route, "editor", body).then(
      (r) => r.status,
      () => "no answer",
    ),
  );
  const took = Math.min(...calibrated.map((c) => c.took));
  await new Promise((r) => setTimeout(r, took / 2));
  await server.kill();
  const watched = watchers.map((w) => w.doc.getText("t").toString());
  for (const w of watchers) w.destroy();
  const answered = await Promise.all(answers);
  await server.restart();
  return Promise.all(
    cases.map(async ({ docId }, i) => ({
      done: calibrated[i]!.done,
      took: calibrated[i]!.took,
      untouched: untouched[i]!,
      answered: answered[i],
      watched: watched[i],
      after: await textOf(docId),
    })),
  );
}

describe("SIGKILL during a restore and a revert", () => {
  it("leaves each document fully restored (reverted) or untouched, as the caller and clients were told", async () => {
    const [restoreTwin, restoreDoc, revertTwin, revertDoc] = ["rt", "rk", "vt", "vk"].map((p) =>
      uniqueDocId(`history-crash-${p}`),
    ) as [string, string, string, string];
    const moments = await write([restoreTwin, restoreDoc, revertTwin, revertDoc]);
    const point = moments[2]!;
    // The agent's window: everything after the first update (a person's).
    const window = { actor: "agent", from: moments[0]!.at + 1, to: Date.now() };
    const [restored, reverted] = await killDuring([
      { twin: restoreTwin, docId: restoreDoc, route: "restore", body: { at: point.at } },
      { twin: revertTwin, docId: revertDoc, route: "revert", body: window },
    ]);
    console.log(
      `history-crash: restore took ${restored!.took} ms, revert ${reverted!.took} ms; ` +
        `after the kill: restore ${restored!.after === restored!.done ? "done" : "untouched"} ` +
        `(answered ${restored!.answered}), revert ${reverted!.after === reverted!.done ? "done" : "untouched"} ` +
        `(answered ${reverted!.answered})`,
    );
    expect(restored!.done).toBe(point.text);
    for (const seen of [restored!, reverted!]) {
      expect(seen.untouched).not.toBe(seen.done);
      expect([seen.untouched, seen.done]).toContain(seen.after);
      if (seen.answered === 200 || seen.watched === seen.done) expect(seen.after).toBe(seen.done);
    }
    // Nothing half-done is left behind: asked again, each completes.
    expect((await call(restoreDoc, "restore", "editor", { at: point.at })).status).toBe(200);
    expect(await textOf(restoreDoc)).toBe(point.text);
    if (reverted!.after === reverted!.untouched) {
      expect((await call(revertDoc, "revert", "editor", window)).status).toBe(200);
      expect(await textOf(revertDoc)).toBe(reverted!.done);
    }
  });
});
