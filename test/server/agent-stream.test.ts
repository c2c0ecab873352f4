// Edits from another Worker over a real service binding (examples/agent-writer in its own wrangler
// dev, bound to the real server, which requires tokens). An agent streams into a live document
// while stock y-websocket clients type: everyone converges, the agent is a peer in every client's
// presence while it writes and gone after (it finished, failed, or stopped renewing its lease),
// and a SIGKILL mid-stream loses nothing a client had received. The RPC write path refuses exactly
// what a socket is refused, with the codes the contract's table pairs with the socket's close
// codes, changes nothing when it refuses, and records who wrote.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { WRITE_REFUSAL_ON_SOCKET, type RpcErrorCode } from "../../durable-objects/contract";
import { generatedText } from "../../examples/agent-writer/src/generator";
import { decodeServerMessage, encodeSyncUpdate } from "../../protocol/messages";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** Short, so a test sees a lease run out; the default is 15 s. */
const LEASE_MS = 4_000;
/** How soon a peer that ended is gone: well before its lease could have removed it. */
const AT_ONCE_MS = LEASE_MS - 1_000;
/** The stream of the issue: 10 KB in 200 chunks (paced so people type meanwhile). */
const STREAM = { bytes: 10_240, chunks: 200, delayMs: 10 };
/** Small, so an update over it is quick to build. */
const MAX_MESSAGE_BYTES = 16 * 1024;

let server: RunningServer;
let agent: string;

beforeAll(async () => {
  server = await startServer({
    vars: {
      AUTH_SECRET: TEST_AUTH_SECRET,
      AGENT_LEASE_MS: String(LEASE_MS),
      MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    },
    companions: ["examples/agent-writer/wrangler.toml"],
  });
  agent = server.companionUrls[0]!;
});
afterAll(async () => {
  await server?.dispose();
});

type AgentState = {
  agent?: string;
  user?: { name?: string; color?: string };
  cursor?: { anchor: unknown };
};

/** The agent's state as `p` sees it now, if it is shown. */
function agentIn(p: WebsocketProvider): AgentState | undefined {
  return [...p.awareness.getStates().values()].find((s) => (s as AgentState).agent) as AgentState;
}

/** Remembers every agent state each client was shown (the stream can be over before a poll). */
function watchAgent(clients: WebsocketProvider[]): AgentState[][] {
  return clients.map((p) => {
    const seen: AgentState[] = [];
    p.awareness.on("change", () => {
      const state = agentIn(p);
      if (state) seen.push(state);
    });
    return seen;
  });
}

function startStream(docId: string, query: Record<string, string | number>, signal?: AbortSignal) {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return fetch(`${agent}/agent/stream/${docId}?${params}`, { method: "POST", signal });
}

async function connect(docId: string, count: number): Promise<WebsocketProvider[]> {
  const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "write" });
  const clients = Array.from({ length: count }, () =>
    provider(server.wsUrl, docId, new Y.Doc(), { token }),
  );
  await Promise.all(clients.map((p) => whenSynced(p)));
  return clients;
}

/** An update inserting `text` into "t" of a fresh document. */
function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** A one-off write over the service binding (the example's POST /agent/apply). */
async function rpcApply(docId: string, update: Uint8Array, role: "read" | "write" = "write") {
  const res = await fetch(`${agent}/agent/apply/${encodeURIComponent(docId)}?role=${role}`, {
    method: "POST",
    body: update,
  });
  const body = await res.text();
  try {
    return JSON.parse(body) as { ok: boolean; code?: RpcErrorCode; changed?: boolean };
  } catch {
    throw new Error(
      `${res.status} ${body.slice(0, 500)}\nservers:\n${server.output().slice(-3000)}`,
    );
  }
}

/**
 * Sends `update` on a socket with `role` and says how it was refused: the close code, or
 * "permission-denied" (a reader's socket stays open), or null when it was accepted.
 */
async function socketRefusal(docId: string, update: Uint8Array, role: "read" | "write") {
  const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role });
  const ws = new WebSocket(`${server.wsUrl}/${docId}?token=${token}`);
  ws.binaryType = "arraybuffer";
  return new Promise<number | "permission-denied" | null>((resolve, reject) => {
    // Generous: a loaded machine runs several servers at once.
    const timer = setTimeout(() => (ws.close(), resolve(null)), 20_000);
    ws.on("open", () => ws.send(encodeSyncUpdate(update)));
    ws.on("message", (data: ArrayBuffer) => {
      if (decodeServerMessage(new Uint8Array(data)).kind !== "permission-denied") return;
      clearTimeout(timer);
      ws.close();
      resolve("permission-denied");
    });
    ws.on("close", (code) => (clearTimeout(timer), resolve(code)));
    ws.on("error", reject);
  });
}

/** The RpcError code the contract's table pairs with a socket's refusal. */
function codeOfSocketRefusal(refusal: number | "permission-denied" | null): string | null {
  const entry = Object.entries(WRITE_REFUSAL_ON_SOCKET).find(([, how]) => how === refusal);
  return entry ? entry[0] : null;
}

async function textOf(docId: string): Promise<unknown> {
  const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "read" });
  const res = await fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}/json`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { t?: unknown }).t;
}

describe("an agent streaming into a live document", () => {
  it("merges with 5 typing clients, is shown while it writes and gone after", async () => {
    const docId = uniqueDocId("agent-stream");
    const clients = await connect(docId, 5);
    const seen = watchAgent(clients);
    const streaming = startStream(docId, { ...STREAM, name: "Ada Agent" });
    let done = false;
    void streaming.finally(() => (done = true));
    // People type at the start of the document while the agent appends after its own text.
    const typed: string[] = [];
    for (let round = 0; !done || round < 3; round++) {
      clients.forEach((p, i) => {
        const token = `[c${i}.${round}]`;
        p.doc.getText("text").insert(0, token);
        typed.push(token);
      });
      await new Promise((r) => setTimeout(r, 25));
    }
    const reply = await streaming;
    expect(await reply.json()).toEqual({ ok: true, chunks: STREAM.chunks, bytes: STREAM.bytes });
    const expected = generatedText(STREAM.bytes);
    const length = expected.length + typed.join("").length;
    await eventually(
      () => clients.every((p) => p.doc.getText("text").length === length),
      () => `lengths ${clients.map((p) => p.doc.getText("text").length)} of ${length}`,
      60_000,
    );
    const text = clients[0]!.doc.getText("text").toString();
    for (const p of clients) expect(p.doc.getText("text").toString()).toBe(text);
    expect(text.indexOf(expected)).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(expected)).toBe(text.lastIndexOf(expected));
    for (const token of typed) expect(text).toContain(token);
    // Shown to every client as itself, with a cursor that resolves in the client's document.
    for (const [i, states] of seen.entries()) {
      const last = states.filter((s) => s.cursor).at(-1);
      expect(last?.user, `client ${i}`).toEqual({ name: "Ada Agent", color: "#8a2be2" });
      const at = Y.createAbsolutePositionFromRelativePosition(
        Y.createRelativePositionFromJSON(last!.cursor!.anchor),
        clients[i]!.doc,
      );
      expect(at?.index, `client ${i}'s cursor`).toBeGreaterThan(0);
    }
    await eventually(
      () => clients.every((p) => agentIn(p) === undefined),
      () => "the agent is still shown after its stream ended",
      AT_ONCE_MS, // its session ended: gone at once, not by its lease
    );
    clients.forEach((p) => p.destroy());
  });

  it("leaves presence at once when its generator fails, and by its lease when it hangs", async () => {
    const docId = uniqueDocId("agent-fail");
    const clients = await connect(docId, 2);
    const failed = await startStream(docId, { bytes: 2000, chunks: 40, delayMs: 5, failAt: 20 });
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { chunks: number }).chunks).toBe(20);
    await eventually(
      () => clients.every((p) => agentIn(p) === undefined),
      () => "the failed agent is still shown",
      AT_ONCE_MS, // its session was closed: gone at once, not by its lease
    );
    // A stream that hangs (its Worker alive, its session open) is removed when its lease ends.
    const abort = new AbortController();
    const hung = startStream(
      docId,
      { bytes: 2000, chunks: 40, delayMs: 5, stallAt: 20 },
      abort.signal,
    );
    let settled = false;
    void hung.then(
      () => (settled = true),
      () => (settled = true),
    );
    await eventually(
      () => clients.every((p) => agentIn(p) !== undefined),
      () => "the hanging agent was never shown",
    );
    const shownAt = Date.now();
    await eventually(
      () => clients.every((p) => agentIn(p) === undefined),
      () => "the hanging agent is still shown",
      LEASE_MS * 4,
    );
    expect(Date.now() - shownAt).toBeGreaterThanOrEqual(LEASE_MS / 2);
    expect(settled).toBe(false); // still hanging: gone by its lease, not by its session ending
    abort.abort();
    clients.forEach((p) => p.destroy());
  });
});

describe("the RPC write path", () => {
  it("refuses what a socket is refused, with the paired codes, and changes nothing", async () => {
    const docId = uniqueDocId("rpc-refusals");
    expect(await rpcApply(docId, textUpdate("kept"))).toMatchObject({ ok: true, changed: true });

    const cases: { name: string; update: Uint8Array; role: "read" | "write"; code: string }[] = [
      {
        name: "invalid update",
        update: new Uint8Array([0xff, 0xff, 0xff]),
        role: "write",
        code: "invalid_update",
      },
      {
        name: "over the size limit",
        update: textUpdate("x".repeat(MAX_MESSAGE_BYTES)),
        role: "write",
        code: "payload_too_large",
      },
      { name: "read-only actor", update: textUpdate("reader's"), role: "read", code: "forbidden" },
    ];
    for (const c of cases) {
      const rpc = await rpcApply(docId, c.update, c.role);
      const socket = await socketRefusal(docId, c.update, c.role);
      expect({ case: c.name, rpc: rpc.code, socket: codeOfSocketRefusal(socket) }).toEqual({
        case: c.name,
        rpc: c.code,
        socket: c.code,
      });
      expect(rpc.ok).toBe(false);
    }
    expect(await textOf(docId)).toBe("kept");
  });
});

describe("document names over RPC", () => {
  it("takes any name as given, the same document REST reads, and refuses one with a control character", async () => {
    const docId = `${uniqueDocId("rpc-names")}/Meeting notes/漢字 🌟`;
    expect(await rpcApply(docId, textUpdate("named"))).toMatchObject({ ok: true, changed: true });
    expect(await textOf(docId)).toBe("named");
    expect(await rpcApply("a\u0000b", textUpdate("no"))).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
  });
});

describe("the actor", () => {
  it("is recorded with each write over RPC, and a refused write records nothing", async () => {
    const docId = uniqueDocId("rpc-activity");
    const update = textUpdate("hello");
    await rpcApply(docId, update);
    await rpcApply(docId, update); // holds nothing new: not a change, not recorded
    await rpcApply(docId, textUpdate("nope"), "read");
    const streamed = await fetch(
      `${agent}/agent/stream/${docId}?bytes=300&chunks=3&delayMs=0&name=Ada`,
      {
        method: "POST",
      },
    );
    expect(await streamed.json()).toMatchObject({ ok: true, chunks: 3 });
    const res = await fetch(`${agent}/agent/activity/${docId}`);
    const { activity } = (await res.json()) as { activity: Record<string, unknown>[] };
    expect(activity.map(({ actor, name, via }) => ({ actor, name, via }))).toEqual([
      { actor: "agent-writer", name: "Ada", via: "session" },
      { actor: "agent-writer", name: "Ada", via: "session" },
      { actor: "agent-writer", name: "Ada", via: "session" },
      { actor: "agent-writer", name: null, via: "apply" },
    ]);
    expect(activity[3]!.bytes).toBe(update.length);
    expect(activity.every((a) => typeof a.ts === "number" && a.ts > 0)).toBe(true);
  });
});

describe("history over RPC", () => {
  it("reverts an agent's run by its id, keeping a person's edits, and lists its changes", async () => {
    const docId = uniqueDocId("rpc-revert");
    const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "write", sub: "ada" });
    const person = new Y.Doc();
    person.getText("text").insert(0, "Written by a person. ");
    const write = (update: Uint8Array) =>
      fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}/update`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        body: update,
      });
    expect((await write(Y.encodeStateAsUpdate(person))).status).toBe(200);
    const from = Date.now();
    const streamed = await startStream(docId, { bytes: 300, chunks: 3, delayMs: 0 });
    expect(await streamed.json()).toMatchObject({ ok: true, chunks: 3 });
    const read = async () => {
      const res = await fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}/json`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { text: string }).text;
    };
    const withAgent = await read();
    expect(withAgent.length).toBeGreaterThan(300);
    const changes = (await (await fetch(`${agent}/agent/changes/${docId}`)).json()) as {
      activity: { origin: string; actor: string }[];
    };
    expect(changes.activity).toHaveLength(3);
    expect(changes.activity.every((c) => c.origin === "rpc")).toBe(true);
    const reverted = await fetch(`${agent}/agent/revert/${docId}?from=${from}`, { method: "POST" });
    expect(await reverted.json()).toMatchObject({ ok: true, changed: true });
    expect(await read()).toBe("Written by a person. ");
  });
});

describe("a SIGKILL mid-stream", () => {
  it("loses nothing a client had received", async () => {
    const docId = uniqueDocId("agent-kill");
    const clients = await connect(docId, 3);
    const streaming = startStream(docId, { bytes: 10_240, chunks: 200, delayMs: 25 }).catch(
      () => null, // the kill cuts it
    );
    await eventually(
      () => clients.some((p) => p.doc.getText("text").length >= 3_000),
      () => `received ${clients.map((p) => p.doc.getText("text").length)}`,
      60_000,
    );
    const received = clients.map((p) => p.doc.getText("text").toString());
    await server.kill();
    // Gone before the restart, so none can send back what the server may have lost.
    clients.forEach((p) => p.destroy());
    await streaming;
    expect(Math.max(...received.map((t) => t.length))).toBeLessThan(10_240); // mid-stream
    await server.restart();
    const [fresh] = await connect(docId, 1);
    const text = fresh!.doc.getText("text").toString();
    for (const r of received) expect(text.startsWith(r), `${r.length} chars received`).toBe(true);
    expect(generatedText(10_240).startsWith(text)).toBe(true);
    fresh!.destroy();
    // A SIGKILL and a restart of two wrangler processes, on a loaded machine.
  }, 240_000);
});
