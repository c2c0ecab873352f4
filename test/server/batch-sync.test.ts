// Batch HTTP sync against the real server: 200 documents in one request, each receiving its remote
// changes and storing its local ones (read back through the per-document endpoint), and all of it
// still there after a SIGKILL right after the response; a multi-part document answered in pages
// (`paged`) next to a small one, and the SDK helper asking again until both are complete.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { BATCH_MAX_DOCS, syncManyOverHttp, type HttpSyncDoc } from "../../client/http-sync-many";
import { startServer, type RunningServer } from "../helpers/server";
import { uniqueDocId } from "../helpers/providers";
import { decodeBase64url, encodeBase64url } from "../../protocol/base64url";

/** Per-document requests in flight while seeding and reading back (not what is under test). */
const SEED_CONCURRENCY = 8;
/** 200 new Durable Objects and 400 per-document requests: ~100 s on a loaded 2-core machine. */
const CASE_TIMEOUT_MS = 300_000;
/** Incompressible text of the paged document: ~4 parts of 256 KiB. */
const LARGE_CHARS = 1024 * 1024;
/** Written in pastes of this size (each its own struct, so parts can be cut between them). */
const PASTE_CHARS = 128 * 1024;

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

  it(
    "answers a multi-part document in pages next to a small one, and syncManyOverHttp completes both",
    async () => {
      const large = uniqueDocId("batch-large");
      const small = uniqueDocId("batch-small");
      const write = async (id: string, doc: Y.Doc) => {
        const res = await fetch(`${server.url}/v1/docs/${id}/update`, {
          method: "POST",
          body: Y.encodeStateAsUpdate(doc),
        });
        expect(res.status).toBe(200);
      };
      const bulk = randomBytes((LARGE_CHARS / 4) * 3).toString("base64");
      const remoteLarge = new Y.Doc();
      for (let at = 0; at < bulk.length; at += PASTE_CHARS)
        remoteLarge.getText("t").insert(at, bulk.slice(at, at + PASTE_CHARS));
      await write(large, remoteLarge);
      const remoteSmall = new Y.Doc();
      remoteSmall.getText("t").insert(0, "remote small. ");
      await write(small, remoteSmall);

      // The route: with `paged`, the large document answers one part with `more`, the small one
      // whole; without it, the large one is answered whole as before.
      type Result = { id: string; status: number; update: string; more?: boolean };
      const ask = async (documents: object[]) => {
        const res = await fetch(`${server.url}/v1/sync`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ documents }),
        });
        expect(res.status).toBe(200);
        const { results } = (await res.json()) as { results: Result[] };
        return new Map(results.map((r) => [r.id, r]));
      };
      const empty = encodeBase64url(Y.encodeStateVector(new Y.Doc()));
      const paged = await ask([
        { id: large, stateVector: empty, paged: true },
        { id: small, stateVector: empty, paged: true },
      ]);
      expect(paged.get(large)).toMatchObject({ status: 200, more: true });
      expect(decodeBase64url(paged.get(large)!.update).length).toBeLessThan(LARGE_CHARS / 2);
      expect(paged.get(small)).toMatchObject({ status: 200 });
      expect(paged.get(small)!.more).toBeUndefined();
      const whole = (await ask([{ id: large, stateVector: empty }])).get(large)!;
      expect(whole.more).toBeUndefined();
      expect(decodeBase64url(whole.update).length).toBeGreaterThan(LARGE_CHARS);

      // The SDK helper: one batch with both, then the large one alone, page after page.
      const requests: string[][] = [];
      const recording = ((input: string, init?: RequestInit) => {
        const body = JSON.parse(String(init?.body)) as { documents: { id: string }[] };
        requests.push(body.documents.map((d) => d.id));
        return fetch(input, init);
      }) as typeof fetch;
      const largeDoc = new Y.Doc();
      const smallDoc = new Y.Doc();
      smallDoc.getText("t").insert(0, "local small. ");
      const results = await syncManyOverHttp({
        url: server.url,
        docs: [
          { id: large, doc: largeDoc },
          { id: small, doc: smallDoc },
        ],
        fetch: recording,
      });
      expect(results.map((r) => [r.id, r.ok])).toEqual([
        [large, true],
        [small, true],
      ]);
      expect(requests[0]).toEqual([large, small]);
      expect(requests.length).toBeGreaterThanOrEqual(4);
      expect(requests.slice(1).every((ids) => ids.length === 1 && ids[0] === large)).toBe(true);
      expect(largeDoc.getText("t").toString() === bulk).toBe(true);
      const [largeResult] = results;
      expect(largeResult!.ok && largeResult!.receivedBytes).toBeGreaterThan(LARGE_CHARS);
      expect(largeResult!.ok && largeResult!.serverStateVector).toEqual(
        Y.encodeStateVector(remoteLarge),
      );
      const smallText = smallDoc.getText("t").toString();
      expect(smallText).toContain("local small. ");
      expect(smallText).toContain("remote small. ");
      expect(await storedText(small)).toBe(smallText);
      console.log(`batch sync of ${bulk.length} characters in ${requests.length} requests`);
    },
    CASE_TIMEOUT_MS,
  );
});
