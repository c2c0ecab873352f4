// Any document name, on the real server (wrangler dev + workerd, AUTH_SECRET set): for each name
// apps use (issue 25) and `.`/`..` (issue 26), one document written over /hocuspocus by a stock
// @hocuspocus/provider, read and edited by a stock y-websocket provider at /sync, read over REST,
// and by our SDK over /mux and /sync; tokens name it exactly as decoded. Names that are not
// names (control characters, too long, not UTF-8) get invalid_doc_id on every door.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import {
  SyncClient,
  SyncProvider,
  type SyncError,
  type WebSocketConstructor,
} from "../../client/index";
import { CloseCode } from "../../protocol/close-codes";
import { MAX_DOC_NAME_BYTES, docNameInUrl, isDotSegment } from "../../protocol/doc-name";
import { MuxServerKind, decodeClose, decodeMuxFrame, encodeOpen } from "../../protocol/mux";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { countingWebSocket } from "../helpers/client-server";
import { NAMES_APPS_USE } from "../helpers/doc-names";
import { allSaved, allSynced, attach, hocuspocusSocket, token } from "../helpers/hocuspocus";
import { eventually, provider, whenSynced } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

const server = sharedServer("auth");
const wsBase = server.url.replace(/^http/, "ws");
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0)) await done();
});

/** The REST path of `name` with `suffix`: one percent-encoded segment, or `_` plus ?doc=. */
function restPath(name: string, suffix = ""): string {
  const { segment, query } = docNameInUrl(name);
  return `/v1/docs/${segment}${suffix}${query ? `?${query}` : ""}`;
}

async function rest(path: string, bearer?: string) {
  const res = await fetch(`${server.url}${path}`, {
    headers: bearer ? { Authorization: `Bearer ${bearer}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * What a stock y-websocket app passes as its room name. It appends the room to the URL as is,
 * and `ws` (like browsers) parses that URL: spaces, Unicode and `<>{}|^` are percent-encoded on
 * the way and decoded by the server, but `\` becomes `/` and `.`/`..` segments are dropped, so
 * those take the encoded segment, and `.`/`..` the `doc` parameter (protocol/doc-name.ts).
 */
function stockRoom(name: string): { room: string; params: Record<string, string> } {
  if (!name.includes("\\") && !isDotSegment(name)) return { room: name, params: {} };
  const { segment } = docNameInUrl(name);
  return { room: segment, params: isDotSegment(name) ? { doc: name } : {} };
}

describe("any document name reaches one document through every door", () => {
  it.each(NAMES_APPS_USE)("%s", async (name) => {
    const writeToken = await token(name);
    // Written over /hocuspocus: the name travels as sent, in every frame.
    const socket = hocuspocusSocket(server.url);
    cleanup.push(() => socket.destroy());
    const hp = attach(socket, name, writeToken);
    await allSynced([hp]);
    expect(hp.denied).toBeNull();
    hp.doc.getText("t").insert(0, "hocuspocus");
    await allSaved([hp]);

    // Read and edited by stock y-websocket at /sync/<name>.
    const { room, params } = stockRoom(name);
    const y = provider(server.wsUrl, room, new Y.Doc(), { ...params, token: writeToken });
    cleanup.push(() => y.destroy());
    await whenSynced(y);
    expect(y.doc.getText("t").toString()).toBe("hocuspocus");
    y.doc.getText("t").insert(10, " + y-websocket");
    const both = "hocuspocus + y-websocket";
    await eventually(
      () => hp.doc.getText("t").toString() === both,
      () => `hocuspocus sees ${hp.doc.getText("t").toString()}`,
    );

    // Read over REST, the name percent-encoded in one segment; its metadata names it as given.
    const json = await rest(restPath(name, "/json"), writeToken);
    expect(json).toEqual({ status: 200, body: { t: both } });
    const info = await rest(restPath(name), writeToken);
    expect([info.status, info.body.id]).toEqual([200, name]);

    // Our SDK, over /mux (the name in the OPEN frame) and over /sync (the URL it builds).
    const client = new SyncClient({
      url: `${wsBase}/mux`,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    cleanup.push(() => client.destroy());
    const overMux = client.provider({ docId: name, doc: new Y.Doc(), token: writeToken });
    const direct = new SyncProvider({
      url: server.wsUrl,
      docId: name,
      doc: new Y.Doc(),
      token: writeToken,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    cleanup.push(() => direct.destroy());
    await Promise.all([overMux.whenSynced(), direct.whenSynced()]);
    expect([overMux.doc.getText("t").toString(), direct.doc.getText("t").toString()]).toEqual([
      both,
      both,
    ]);
  });

  it("a prefix claim covers the names under it, decoded; another prefix is refused on each door", async () => {
    const org = await createToken(TEST_AUTH_SECRET, { doc: "org/42/*", role: "read" });
    const y = provider(server.wsUrl, "org/42/doc", new Y.Doc(), { token: org });
    cleanup.push(() => y.destroy());
    await whenSynced(y);
    expect((await rest(restPath("org/42/doc", "/json"), org)).status).toBe(200);
    for (const other of ["org/43/doc", "org/420"]) {
      expect((await rest(restPath(other, "/json"), org)).status).toBe(403);
      const socket = hocuspocusSocket(server.url);
      cleanup.push(() => socket.destroy());
      const hp = attach(socket, other, org);
      await eventually(
        () => hp.denied !== null,
        () => `${other} not denied`,
      );
      expect(hp.denied).toMatch(/forbidden/);
    }
  });
});

/** Names that are not names, as the door's raw form: [what, name, raw path segment]. */
const BAD: [string, string, string][] = [
  ["NUL", "a\u0000b", "a%00b"],
  ["DEL", "a\u007Fb", "a%7Fb"],
  ["C1 control", "a\u0085b", "a%C2%85b"],
  ["newline", "a\nb", "a%0Ab"],
  ["too long", "x".repeat(MAX_DOC_NAME_BYTES + 1), "x".repeat(MAX_DOC_NAME_BYTES + 1)],
];
/** Path forms no name encodes to: bytes that are not UTF-8, an encoded lone surrogate. */
const UNDECODABLE = ["%FF", "a%E6%BC", "%ED%A0%80"];

/** Opens `url` with ws; resolves with the HTTP refusal or the close the server sent. */
function dial(
  url: string,
): Promise<{ status?: number; body?: string; code?: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on("error", (err) => {
      if (!String(err).includes("Unexpected server response")) reject(err);
    });
  });
}

describe("names that are not names get invalid_doc_id on every door", () => {
  it("/sync: 400 JSON for a stock client, the permanent 4400 close for ?ext=1", async () => {
    for (const raw of [...BAD.map(([, , r]) => r), ...UNDECODABLE, "", "a?doc=b"]) {
      const [path, query] = raw === "a?doc=b" ? ["a", "doc=b&"] : [raw, ""];
      const stock = await dial(`${server.wsUrl}/${path}?${query}`);
      expect([raw.slice(0, 20), stock.status], stock.body).toEqual([raw.slice(0, 20), 400]);
      expect(JSON.parse(stock.body!).error.code).toBe("invalid_doc_id");
      const ext = await dial(`${server.wsUrl}/${path}?${query}ext=1`);
      expect([raw.slice(0, 20), ext.code]).toEqual([raw.slice(0, 20), CloseCode.ProtocolError]);
      expect(ext.reason).toMatch(/^invalid_doc_id: /);
    }
  });

  it("REST: 400 invalid_doc_id for the path segment and for a batch document", async () => {
    const any = await createToken(TEST_AUTH_SECRET, { doc: "*", role: "admin" });
    for (const raw of [...BAD.map(([, , r]) => r), ...UNDECODABLE]) {
      for (const suffix of ["", "/json", "/update"]) {
        const res = await rest(`/v1/docs/${raw}${suffix}`, any);
        expect([raw.slice(0, 20), suffix, res.status]).toEqual([raw.slice(0, 20), suffix, 400]);
        expect((res.body.error as { code: string }).code).toBe("invalid_doc_id");
      }
    }
    const named = await rest("/v1/docs/abc/json?doc=xyz", any);
    expect([named.status, (named.body.error as { message: string }).message]).toEqual([
      400,
      expect.stringMatching(/named twice/),
    ]);
    const batch = await fetch(`${server.url}/v1/sync`, {
      method: "POST",
      headers: { Authorization: `Bearer ${any}`, "Content-Type": "application/json" },
      body: JSON.stringify({ documents: BAD.map(([, id]) => ({ id, stateVector: "AA" })) }),
    });
    const text = await batch.text();
    expect(text.match(/invalid_doc_id/g)?.length, text).toBe(BAD.length);
  });

  it("/hocuspocus: the document's authentication fails with invalid_doc_id", async () => {
    const socket = hocuspocusSocket(server.url);
    cleanup.push(() => socket.destroy());
    // NUL is left out: Hocuspocus 4 addresses a document as `name\0sessionId`, so on this door
    // `a\0b` is the name `a` (one more reason NUL is never part of a name).
    const bad = BAD.filter(([what]) => what !== "NUL");
    const attached = bad.map(([, name]) => attach(socket, name, "any"));
    await eventually(
      () => attached.every((a) => a.denied !== null),
      () => attached.map((a) => a.denied).join(", "),
    );
    for (const a of attached) expect(a.denied).toMatch(/^invalid_doc_id: /);
  });

  it("/mux: the channel closes with 4400 invalid_doc_id", async () => {
    const ws = new WebSocket(`${wsBase}/mux`);
    cleanup.push(() => ws.close());
    const closed = new Map<number, { code: number; reason: string }>();
    ws.on("message", (data: Buffer) => {
      const frame = decodeMuxFrame(new Uint8Array(data));
      if (frame.kind === MuxServerKind.Closed)
        closed.set(frame.channel, decodeClose(frame.payload));
    });
    await new Promise((resolve) => ws.once("open", resolve));
    BAD.forEach(([, name], channel) => ws.send(encodeOpen(channel, name, "")));
    await eventually(
      () => closed.size === BAD.length,
      () => `closed: ${[...closed.keys()]}`,
    );
    for (const { code, reason } of closed.values()) {
      expect(code).toBe(CloseCode.ProtocolError);
      expect(reason).toMatch(/^invalid_doc_id: /);
    }
  });
});

describe("our SDK with a name that is not one", () => {
  /** Long enough for a retrying provider to have dialled several times (backoff base 50 ms). */
  const WATCH_MS = 1_000;

  it("stops with an invalid-doc-id error before dialling, directly and over /mux", async () => {
    const { WebSocket: Counting, counter } = countingWebSocket(
      WebSocket as unknown as new (url: string) => { send(data: never): void },
    );
    const Ctor = Counting as unknown as WebSocketConstructor;
    const client = new SyncClient({ url: `${wsBase}/mux`, WebSocket: Ctor });
    cleanup.push(() => client.destroy());
    for (const [what, name] of BAD) {
      const direct = new SyncProvider({
        url: server.wsUrl,
        docId: name,
        doc: new Y.Doc(),
        WebSocket: Ctor,
        backoff: { baseMs: 50, capMs: 200 },
      });
      cleanup.push(() => direct.destroy());
      const overMux = client.provider({ docId: name, doc: new Y.Doc() });
      // Listeners and waiters attached in the constructor's tick, as an app attaches them.
      const watched = [direct, overMux].map((p) => {
        const errors: SyncError[] = [];
        p.on("error", (e) => errors.push(e));
        return { errors, synced: p.whenSynced() };
      });
      for (const { errors, synced } of watched) {
        await expect(synced, what).rejects.toMatchObject({ code: "invalid-doc-id" });
        expect(errors.map((e) => e.code)).toEqual(["invalid-doc-id"]);
      }
    }
    await new Promise((r) => setTimeout(r, WATCH_MS));
    expect(counter.opened).toBe(0);
  });
});
