// The RPC surface over a real service binding (examples/agent-writer in its own wrangler dev,
// bound to the real server): it refuses exactly what a socket is refused, with the codes the
// contract's table pairs with the socket's close codes, changes nothing when it refuses, and
// records who wrote.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { WRITE_REFUSAL_ON_SOCKET, type RpcErrorCode } from "../../durable-objects/contract";
import { decodeServerMessage, encodeSyncUpdate } from "../../protocol/messages";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { uniqueDocId } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** Small, so an update over it is quick to build. */
const MAX_MESSAGE_BYTES = 16 * 1024;

let server: RunningServer;
let agent: string;

beforeAll(async () => {
  server = await startServer({
    vars: { AUTH_SECRET: TEST_AUTH_SECRET, MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) },
    companions: ["examples/agent-writer/wrangler.toml"],
  });
  agent = server.companionUrls[0]!;
});
afterAll(async () => {
  await server?.dispose();
});

/** An update inserting `text` into "t" of a fresh document. */
function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** A one-off write over the service binding (the example's POST /agent/apply). */
async function rpcApply(docId: string, update: Uint8Array, role: "read" | "write" = "write") {
  const res = await fetch(`${agent}/agent/apply/${docId}?role=${role}`, {
    method: "POST",
    body: update,
  });
  return (await res.json()) as { ok: boolean; code?: RpcErrorCode; changed?: boolean };
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
    const timer = setTimeout(() => (ws.close(), resolve(null)), 5_000);
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
  const res = await fetch(`${server.url}/v1/docs/${docId}/json`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { t?: unknown }).t;
}

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
