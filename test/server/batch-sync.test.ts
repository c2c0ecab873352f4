// Batch HTTP sync against the real server: 200 documents in one request, each receiving its remote
// changes and storing its local ones (read back through the per-document endpoint), and all of it
// still there after a SIGKILL right after the response.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { BATCH_MAX_DOCS, syncManyOverHttp, type HttpSyncDoc } from "../../client/http-sync-many";
import { startServer, type RunningServer } from "../helpers/server";
import { uniqueDocId } from "../helpers/providers";

/** Per-document requests in flight while seeding and reading back (not what is under test). */
const SEED_CONCURRENCY = 8;
/** 200 new Durable Objects and 400 per-document requests: ~100 s on a loaded 2-core machine. */
const CASE_TIMEOUT_MS = 300_000;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

async function inParallel<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, lane));
}

const storedText = async (id: string) => {
  const res = await fetch(`${server.url}/v1/docs/${id}/json`);
  expect([id, res.status]).toEqual([id, 200]);
  return ((await res.json()) as { t: string }).t;
};

/** A fetch that counts the batch requests it sends. */
function countingFetch() {
  const sent: string[] = [];
  const counted = ((input: string, init?: RequestInit) => {
    sent.push(new URL(input).pathname);
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: counted, sent };
}

describe("batch HTTP sync against the real server", () => {
  const docs: (HttpSyncDoc & { epoch?: string })[] = [];

  it(
    `syncs ${BATCH_MAX_DOCS} documents both ways in one request`,
    async () => {
      for (let i = 0; i < BATCH_MAX_DOCS; i++) {
        const doc = new Y.Doc();
        doc.getText("t").insert(0, `local ${i}. `);
        docs.push({ id: uniqueDocId(`batch-${i}`), doc });
      }
      // Remote changes for every other document, written through the per-document endpoint.
      await inParallel(
        docs.filter((_, i) => i % 2 === 0),
        async ({ id }) => {
          const remote = new Y.Doc();
          remote.getText("t").insert(0, `remote ${id}. `);
          const res = await fetch(`${server.url}/v1/docs/${id}/update`, {
            method: "POST",
            body: Y.encodeStateAsUpdate(remote),
          });
          expect(res.status).toBe(200);
        },
      );
      const counting = countingFetch();
      const results = await syncManyOverHttp({ url: server.url, docs, fetch: counting.fetch });
      expect(counting.sent).toEqual(["/v1/sync"]);
      expect(
        results.filter((r) => !r.ok),
        server.output().slice(-2000),
      ).toEqual([]);
      for (const [i, result] of results.entries()) {
        if (!result.ok) continue;
        expect(result.id).toBe(docs[i]!.id);
        Object.assign(docs[i]!, {
          serverStateVector: result.serverStateVector,
          epoch: result.epoch,
        });
      }
      await inParallel(docs, async ({ id, doc }) => {
        const i = docs.findIndex((d) => d.id === id);
        const text = doc.getText("t").toString();
        expect(text).toContain(`local ${i}. `);
        if (i % 2 === 0) expect(text).toContain(`remote ${id}. `);
        expect(await storedText(id)).toBe(text);
      });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "keeps every update the response reported stored through a SIGKILL right after it",
    async () => {
      expect(docs).toHaveLength(BATCH_MAX_DOCS);
      for (const [i, { doc }] of docs.entries()) doc.getText("t").insert(0, `second ${i}. `);
      const results = await syncManyOverHttp({ url: server.url, docs });
      await server.kill();
      const stored = results.filter((r) => r.ok).map((r) => r.id);
      expect(stored.length, server.output().slice(-2000)).toBe(BATCH_MAX_DOCS);
      await server.restart();
      await inParallel(docs, async ({ id, doc }) => {
        expect(await storedText(id)).toBe(doc.getText("t").toString());
      });
    },
    CASE_TIMEOUT_MS,
  );
});
