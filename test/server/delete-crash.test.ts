// Deleting a document, then a SIGKILL before anything else runs: after the restart nothing of the
// old document comes back — not its content (DO log and snapshot, D1), not an agent's peer in
// presence, not the activity of its RPC writes. A delete wipes every table of the object's
// storage in one transaction before the reply (durable-objects/storage/schema.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { startServer, type RunningServer } from "../helpers/server";

/** Long, so the agent's peer would still be shown after the restart had it survived. */
const LEASE_MS = 120_000;
/** Short, so the document reaches D1 before it is deleted. */
const FLUSH_DEBOUNCE_MS = 100;
/** How long a new client watches for the agent's peer after syncing. */
const PRESENCE_WATCH_MS = 1_500;

let server: RunningServer;
let agent: string;

beforeAll(async () => {
  server = await startServer({
    vars: {
      AUTH_SECRET: TEST_AUTH_SECRET,
      AGENT_LEASE_MS: String(LEASE_MS),
      D1_FLUSH_DEBOUNCE_MS: String(FLUSH_DEBOUNCE_MS),
    },
    companions: ["examples/agent-writer/wrangler.toml"],
  });
  agent = server.companionUrls[0]!;
});
afterAll(async () => {
  await server?.dispose();
});

const bearer = async (doc: string, role: "read" | "write" | "admin") => ({
  Authorization: `Bearer ${await createToken(TEST_AUTH_SECRET, { doc, role })}`,
});

async function client(docId: string): Promise<WebsocketProvider> {
  const token = await createToken(TEST_AUTH_SECRET, { doc: docId, role: "write" });
  const p = provider(server.wsUrl, docId, new Y.Doc(), { token });
  await whenSynced(p);
  return p;
}

const agentShown = (p: WebsocketProvider) =>
  [...p.awareness.getStates().values()].some((s) => (s as { agent?: string }).agent);

describe("a SIGKILL right after a delete", () => {
  it("brings back nothing of the deleted document", async () => {
    const docId = uniqueDocId("delete-kill");
    const writer = await client(docId);
    writer.doc.getText("t").insert(0, "the old document");
    // An agent writes two chunks over RPC and then hangs: its peer stays shown by its lease.
    const abort = new AbortController();
    const query = "bytes=300&chunks=3&delayMs=0&name=Ada&stallAt=2";
    const stream = fetch(`${agent}/agent/stream/${docId}?${query}`, {
      method: "POST",
      signal: abort.signal,
    }).catch(() => null);
    await eventually(
      () => agentShown(writer),
      () => "the agent's peer was never shown",
    );
    const activity = async () =>
      (await (await fetch(`${agent}/agent/activity/${docId}`)).json()) as Record<string, unknown>;
    // The peer shows from the first chunk; the second chunk's write lands a moment later.
    const writesBy = Date.now() + 30_000;
    let entries = (await activity()).activity as unknown[];
    while (entries.length < 2 && Date.now() < writesBy) {
      await new Promise((r) => setTimeout(r, 100));
      entries = (await activity()).activity as unknown[];
    }
    expect(entries).toHaveLength(2);
    // In D1 too (the index lists it once a flush wrote it).
    const admin = await bearer(`${docId}*`, "admin");
    const listed = async () => {
      const res = await fetch(`${server.url}/v1/docs?prefix=${docId}`, { headers: admin });
      return ((await res.json()) as { documents: { id: string }[] }).documents.map((d) => d.id);
    };
    const deadline = Date.now() + 30_000;
    while (!(await listed()).includes(docId) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await listed()).toEqual([docId]);

    const res = await fetch(`${server.url}/v1/docs/${docId}`, {
      method: "DELETE",
      headers: await bearer(docId, "admin"),
    });
    expect(res.status).toBe(200);
    await server.kill(); // before anything else can run
    writer.destroy();
    abort.abort();
    await stream;
    await server.restart();

    const read = await bearer(docId, "read");
    for (const path of ["", "/update", "/json"]) {
      const after = await fetch(`${server.url}/v1/docs/${docId}${path}`, { headers: read });
      expect(after.status, path).toBe(404);
    }
    expect(await listed()).toEqual([]);
    expect(await activity()).toMatchObject({ ok: false, code: "document_not_found" });

    // A new client finds an empty document, and no peer of the old one's agent.
    const fresh = await client(docId);
    await new Promise((r) => setTimeout(r, PRESENCE_WATCH_MS));
    expect(fresh.doc.getText("t").toString()).toBe("");
    expect(agentShown(fresh)).toBe(false);
    fresh.destroy();
  });
});
