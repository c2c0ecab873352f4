// A Durable Object whose SQLite file is damaged on disk (a broken header, broken pages): the
// document is refused with 503 / 4503 — never a 500 or a 1006 — reads are served from D1's
// intact generation, D1 is left exactly as it was, and the damaged file is kept for an operator.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { startServer, type RunningServer } from "../helpers/server";
import { uniqueDocId } from "../helpers/providers";

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    vars: { D1_FLUSH_DEBOUNCE_MS: "50", D1_FLUSH_MAX_DELAY_MS: "100" },
  });
});
afterAll(async () => {
  await server?.dispose();
});

const doDir = () => join(server.persistTo, "v3", "do", "edgesync-DocumentObject");
const doFiles = () =>
  new Set(readdirSync(doDir()).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite"));

/** The D1 index row of a document (via the admin listing, which reads D1 only). */
async function indexRow(docId: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${server.url}/v1/docs?prefix=${docId}`);
  const { documents } = (await res.json()) as { documents: Record<string, unknown>[] };
  return documents.find((d) => d.id === docId);
}

/** Creates a document with `text`, waits until D1 holds it, and returns its DO's SQLite file. */
async function replicated(
  docId: string,
  text: string,
): Promise<{ file: string; row: Record<string, unknown> }> {
  const before = doFiles();
  const source = new Y.Doc();
  source.getText("t").insert(0, text);
  const res = await fetch(`${server.url}/v1/docs/${docId}/update`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: Y.encodeStateAsUpdate(source),
  });
  expect(res.status).toBe(200);
  for (const deadline = Date.now() + 30_000; (await indexRow(docId)) === undefined;) {
    if (Date.now() > deadline) throw new Error(`${docId} was not replicated to D1`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const added = [...doFiles()].filter((f) => !before.has(f));
  expect(added).toHaveLength(1);
  return { file: join(doDir(), added[0]!), row: (await indexRow(docId))! };
}

function closeCodeOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("close", (code) => resolve(code));
    ws.on("error", reject);
  });
}

describe("a damaged Durable Object database", () => {
  it("is refused with 503/4503, read from D1, and leaves D1 and the damaged file as they were", async () => {
    const header = { id: uniqueDocId("hdr"), text: "header damaged, D1 intact" };
    const pages = { id: uniqueDocId("pages"), text: "pages damaged, D1 intact" };
    const a = await replicated(header.id, header.text);
    const b = await replicated(pages.id, pages.text);
    await server.stop();
    const damaged = new Map<string, Buffer>();
    const broken = readFileSync(a.file);
    broken.write("this is no SQLite header", 0); // the 16-byte magic string and beyond
    damaged.set(a.file, broken);
    const garbled = readFileSync(b.file);
    garbled.fill(0xa5, 100); // every page's content, keeping only the 100-byte file header
    damaged.set(b.file, garbled);
    // Pages still in the write-ahead log would hide the damage: garble its frames too, and drop
    // the shared-memory index so that SQLite checks them (and ignores them, as after a torn write).
    for (const file of [a.file, b.file]) {
      if (existsSync(`${file}-wal`))
        damaged.set(`${file}-wal`, readFileSync(`${file}-wal`).fill(0xa5, 32));
      rmSync(`${file}-shm`, { force: true });
    }
    for (const [file, bytes] of damaged) writeFileSync(file, bytes);
    await server.restart();

    for (const [doc, { row }] of [
      [header, a],
      [pages, b],
    ] as const) {
      const json = await fetch(`${server.url}/v1/docs/${doc.id}/json`);
      expect(json.status, `${doc.id} json`).toBe(200);
      expect(json.headers.get("x-edgesync-source"), `${doc.id} served from`).toBe("d1");
      expect(await json.json()).toEqual({ t: doc.text });
      const bin = await fetch(`${server.url}/v1/docs/${doc.id}/update`);
      expect(bin.status).toBe(200);
      const copy = new Y.Doc();
      Y.applyUpdate(copy, new Uint8Array(await bin.arrayBuffer()));
      expect(copy.getText("t").toString()).toBe(doc.text);

      const write = await fetch(`${server.url}/v1/docs/${doc.id}/update`, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: Y.encodeStateAsUpdate(new Y.Doc()),
      });
      expect(write.status, `${doc.id} write`).toBe(503);
      expect(((await write.json()) as { error: { code: string } }).error.code).toBe(
        "document_unavailable",
      );
      const meta = await fetch(`${server.url}/v1/docs/${doc.id}`);
      expect(meta.status).toBe(503);
      expect(await closeCodeOf(`${server.wsUrl}/${doc.id}`)).toBe(CloseCode.DocumentUnavailable);
      expect(await closeCodeOf(`${server.wsUrl}/${doc.id}?ext=1`)).toBe(
        CloseCode.DocumentUnavailable,
      );
      expect(await indexRow(doc.id)).toEqual(row);
    }
    // The damaged database files are left for an operator (SQLite may reset its own WAL).
    for (const file of [a.file, b.file])
      expect(readFileSync(file).equals(damaged.get(file)!), file).toBe(true);
  });
});
