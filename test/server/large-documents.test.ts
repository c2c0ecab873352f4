// The memory model in the real server at its defaults (durable-objects/doc-heap.ts,
// docs/limits.md): a text document of many MB — the automerge-paper trace replayed, then bulk
// text until the budget refuses more — is admitted, survives a SIGKILL, loads whole and syncs
// to a stock y-websocket client; growth past the budget is refused on a socket (4413), over
// REST (413) and over RPC (document_too_large), before and after a restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { DEFAULT_LIMITS } from "../../durable-objects/config";
import { HeapEstimate } from "../../durable-objects/doc-heap";
import { CloseCode } from "../../protocol/close-codes";
import { encodeSyncUpdate } from "../../protocol/messages";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";
import { applyTxn, loadTrace } from "../helpers/trace";

const BUDGET = DEFAULT_LIMITS.maxDocHeapBytes;
/** Bulk text appended per write, under MAX_MESSAGE_BYTES. */
const CHUNK_CHARS = 512 * 1024;
const MB = 2 ** 20;

let server: RunningServer;
let agent: string;
beforeAll(async () => {
  server = await startServer({ companions: ["examples/agent-writer/wrangler.toml"] });
  agent = server.companionUrls[0]!;
});
afterAll(async () => {
  await server?.dispose();
});

/** `n` characters of varied lowercase text (no two chunks alike). */
function bulkText(n: number, seed: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i += 64) {
    let word = "";
    for (let j = 0; j < 64 && i + j < n; j++)
      word += String.fromCharCode(97 + ((seed * 31 + i + j * 7) % 26));
    parts.push(word);
  }
  return parts.join("");
}

const post = (docId: string, update: Uint8Array) =>
  fetch(`${server.url}/v1/docs/${encodeURIComponent(docId)}/update`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update,
  });

/** A one-off write over the service binding (examples/agent-writer's POST /agent/apply). */
async function rpcApply(
  docId: string,
  update: Uint8Array,
): Promise<{ ok: boolean; code?: string }> {
  const res = await fetch(`${agent}/agent/apply/${encodeURIComponent(docId)}?role=write`, {
    method: "POST",
    body: update,
  });
  return (await res.json()) as { ok: boolean; code?: string };
}

/** The close code of a socket that sends `update` (null if it stays open for 20 s). */
function socketClose(docId: string, update: Uint8Array): Promise<number | null> {
  const ws = new WebSocket(`${server.wsUrl}/${encodeURIComponent(docId)}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (ws.close(), resolve(null)), 20_000);
    ws.on("open", () => ws.send(encodeSyncUpdate(update)));
    ws.on("close", (code) => (clearTimeout(timer), resolve(code)));
    ws.on("error", reject);
  });
}

/** The text a fresh stock y-websocket client receives. */
async function syncedText(docId: string): Promise<string> {
  const client = provider(server.wsUrl, docId);
  try {
    await whenSynced(client, 60_000);
    return client.doc.getText("t").toString();
  } finally {
    client.destroy();
  }
}

/** Text appended to `doc`'s text, as the update that adds it. */
function appendUpdate(doc: Y.Doc, text: string): Uint8Array {
  const before = Y.encodeStateVector(doc);
  const t = doc.getText("t");
  t.insert(t.length, text);
  return Y.encodeStateAsUpdate(doc, before);
}

describe("a text document as large as the memory budget admits", () => {
  const docId = uniqueDocId("largest-text");
  let admitted = "";
  let refusedChunk: Uint8Array;

  it("is admitted write by write until the budget refuses the next (REST 413)", async () => {
    const doc = new Y.Doc();
    const heap = new HeapEstimate(doc);
    const text = doc.getText("t");
    for (const txn of loadTrace("automerge-paper").txns) applyTxn(doc, text, txn);
    let res = await post(docId, Y.encodeStateAsUpdate(doc));
    expect(res.status).toBe(200);
    for (let i = 0; ; i++) {
      const before = text.toString();
      const update = appendUpdate(doc, bulkText(CHUNK_CHARS, i));
      res = await post(docId, update);
      if (res.status === 200) continue;
      expect(res.status).toBe(413);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("document_too_large");
      expect(body.error.message).toMatch(/memory budget/);
      // Refused by the budget (the model says so too), not by the byte or struct caps.
      expect(heap.bytes).toBeGreaterThan(BUDGET);
      admitted = before;
      refusedChunk = update;
      break;
    }
    const encodedBytes = Y.encodeStateAsUpdate(doc).length - refusedChunk.length;
    console.log(
      `largest text admitted: ${admitted.length} characters, ~${(encodedBytes / MB).toFixed(2)} MB encoded`,
    );
    expect(admitted.length).toBeGreaterThan(4 * MB);
  }, 120_000);

  it("refuses growth on a socket (4413) and over RPC, and takes what adds nothing", async () => {
    expect(await socketClose(docId, refusedChunk)).toBe(CloseCode.DocumentTooLarge);
    expect(await rpcApply(docId, refusedChunk)).toMatchObject({
      ok: false,
      code: "document_too_large",
    });
    // A write the document holds already is not growth.
    expect((await post(docId, Y.encodeStateAsUpdate(new Y.Doc()))).status).toBe(200);
  }, 60_000);

  it("survives a SIGKILL: loads whole, syncs to a stock client, still refuses growth", async () => {
    await server.kill();
    await server.restart();
    expect(await syncedText(docId)).toBe(admitted);
    expect(await rpcApply(docId, refusedChunk)).toMatchObject({ code: "document_too_large" });
    expect(await socketClose(docId, refusedChunk)).toBe(CloseCode.DocumentTooLarge);
  }, 120_000);
});
