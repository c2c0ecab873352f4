// The example app: its own routes answer beside edgesync mounted under /collab; stock y-protocols
// sync, the REST API and the OpenAPI document work under the prefix with the app's binding
// names; bad tokens are refused; bad options throw when the app builds edgesync.
import { env } from "cloudflare:workers";
import { createDocumentObject, createEdgesync } from "edgesync/server";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { request, SocketDoc } from "./socket";

const bindings = env as unknown as { COLLAB_DOCS: DurableObjectNamespace; APP_DB: D1Database };
let counter = 0;
const noteId = () => `notes-${Date.now().toString(36)}-${counter++}`;

async function tokenFor(doc: string): Promise<string> {
  const res = await request(`/api/token/${doc}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

describe("the app's own routes", () => {
  it("answer beside edgesync", async () => {
    const home = await request("/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("my own app");
    expect(await (await request("/api/hello")).json()).toEqual({
      hello: "world",
      from: "embed-worker-example",
    });
  });

  it("leave edgesync under /collab only", async () => {
    expect(await (await request("/collab/health")).json()).toEqual({
      ok: true,
      service: "edgesync",
      auth: "token",
    });
    expect((await request("/health")).status).toBe(404);
    expect((await request("/sync/notes-x", { headers: { Upgrade: "websocket" } })).status).toBe(
      404,
    );
  });
});

describe("edgesync under /collab", () => {
  it("syncs two y-protocols clients through /collab/sync/:id and stores the document in the app's D1", async () => {
    const id = noteId();
    const path = `/collab/sync/${id}?token=${await tokenFor(id)}`;
    const [alice, bob] = [await SocketDoc.open(path), await SocketDoc.open(path)];
    alice.doc.getText("t").insert(0, "hello from alice");
    await bob.waitForText("hello from alice");
    bob.doc.getText("t").insert(0, "bob: ");
    await alice.waitForText("bob: hello from alice");
    alice.close();
    bob.close();

    // The Durable Object of the app's binding replicates to the app's D1 binding (APP_DB).
    const stub = bindings.COLLAB_DOCS.get(bindings.COLLAB_DOCS.idFromName(id)) as unknown as {
      persistNow(): Promise<unknown>;
    };
    await stub.persistNow();
    const row = await bindings.APP_DB.prepare("SELECT id FROM documents WHERE id = ?")
      .bind(id)
      .first();
    expect(row).toEqual({ id });
  });

  it("finds a name with slashes, spaces and Unicode under the prefix, socket and REST alike", async () => {
    const id = `${noteId()}/Meeting notes/ü 🌟`;
    const token = await tokenFor(encodeURIComponent(id));
    // The rest of the path after /collab/sync/ is the name, slashes included.
    const path = `/collab/sync/${id.split("/").map(encodeURIComponent).join("/")}`;
    const writer = await SocketDoc.open(`${path}?token=${token}`);
    writer.doc.getText("t").insert(0, "named freely");
    const reader = await SocketDoc.open(`${path}?token=${token}`);
    await reader.waitForText("named freely");
    writer.close();
    reader.close();
    const json = await request(`/collab/v1/docs/${encodeURIComponent(id)}/json`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(await json.json()).toEqual({ t: "named freely" });
  });

  it("serves the REST API and an OpenAPI document that points at the prefix", async () => {
    const id = noteId();
    const auth = { Authorization: `Bearer ${await tokenFor(id)}` };
    const writer = await SocketDoc.open(`/collab/sync/${id}?token=${await tokenFor(id)}`);
    writer.doc.getText("t").insert(0, "over a socket");
    const reader = await SocketDoc.open(`/collab/sync/${id}?token=${await tokenFor(id)}`);
    await reader.waitForText("over a socket");
    writer.close();
    reader.close();
    const json = await request(`/collab/v1/docs/${id}/json`, { headers: auth });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ t: "over a socket" });

    const spec = (await (await request("/collab/v1/openapi.json")).json()) as {
      servers: { url: string }[];
      paths: Record<string, unknown>;
    };
    expect(spec.servers).toEqual([{ url: "https://example.test/collab" }]);
    expect(Object.keys(spec.paths)).toContain("/v1/docs/{id}/json");
    const put = await request("/collab/health", { method: "PUT" });
    expect([put.status, put.headers.get("Allow")]).toEqual([405, "GET, HEAD"]);
  });

  it("refuses a bad token, a missing one and one for another document", async () => {
    const id = noteId();
    const upgrade = { headers: { Upgrade: "websocket" } };
    const bad = await request(`/collab/sync/${id}?token=not-a-token`, upgrade);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_token");
    const none = await request(`/collab/v1/docs/${id}/json`);
    expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      "missing_token",
    ]);
    const other = await request(`/collab/v1/docs/${id}/json`, {
      headers: { Authorization: `Bearer ${await tokenFor(noteId())}` },
    });
    expect(other.status).toBe(403);
  });

  it("checks Hocuspocus tokens at /collab/hocuspocus with the app's auth option", async () => {
    const [good, bad] = [noteId(), noteId()];
    const res = await request("/collab/hocuspocus", { headers: { Upgrade: "websocket" } });
    const ws = res.webSocket!;
    (ws as unknown as { binaryType: string }).binaryType = "arraybuffer";
    ws.accept();
    const replies = new Map<string, string>();
    const answered = new Promise<void>((resolve) =>
      ws.addEventListener("message", (event) => {
        // Hocuspocus frame: varString document, varUint type (2 = auth), varUint auth type
        // (1 = PermissionDenied, 2 = Authenticated), varString scope or reason.
        const decoder = decoding.createDecoder(new Uint8Array(event.data as ArrayBuffer));
        const doc = decoding.readVarString(decoder);
        if (decoding.readVarUint(decoder) !== 2) return;
        const authType = decoding.readVarUint(decoder);
        replies.set(doc, `${authType === 2 ? "ok" : "denied"}: ${decoding.readVarString(decoder)}`);
        if (replies.size === 2) resolve();
      }),
    );
    for (const [doc, token] of [
      [good, await tokenFor(good)],
      [bad, "not-a-token"],
    ] as const) {
      const encoder = encoding.createEncoder();
      encoding.writeVarString(encoder, doc);
      encoding.writeVarUint(encoder, 2); // auth
      encoding.writeVarUint(encoder, 0); // token
      encoding.writeVarString(encoder, token);
      ws.send(encoding.toUint8Array(encoder));
    }
    await answered;
    ws.close(1000, "done");
    expect(replies.get(good)).toBe("ok: read-write");
    expect(replies.get(bad)).toMatch(/^denied: invalid_token/);
  });

  it("refuses browsers from origins the app did not allow", async () => {
    const res = await request("/collab/v1/openapi.json", {
      headers: { Origin: "https://evil.example.com" },
    });
    expect(res.status).toBe(403);
    const allowed = await request("/collab/v1/openapi.json", {
      headers: { Origin: "https://app.example.com" },
    });
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
  });
});

describe("options", () => {
  it("basePath serves every route under it without app.route", async () => {
    const app = createEdgesync({
      basePath: "/rt",
      auth: { openAccess: true },
      bindings: { documents: "COLLAB_DOCS", db: "APP_DB" },
    });
    const res = await app.request("https://example.test/rt/v1/openapi.json", {}, env);
    expect(((await res.json()) as { servers: unknown }).servers).toEqual([
      { url: "https://example.test/rt" },
    ]);
    expect((await app.request("https://example.test/v1/openapi.json", {}, env)).status).toBe(404);
    const health = await app.request("https://example.test/rt/health", {}, env);
    expect(((await health.json()) as { auth: string }).auth).toBe("open");
  });

  it("allowedOrigins: [] lets no browser origin in; requests without one still pass", async () => {
    const app = createEdgesync({
      allowedOrigins: [],
      auth: { openAccess: true },
      bindings: { documents: "COLLAB_DOCS", db: "APP_DB" },
    });
    const url = "https://example.test/v1/openapi.json";
    const browser = await app.request(url, { headers: { Origin: "https://app.example.com" } }, env);
    expect(browser.status).toBe(403);
    expect((await app.request(url, {}, env)).status).toBe(200);
  });

  it("a binding name the Worker lacks is a clear 500, not a crash", async () => {
    const app = createEdgesync({ auth: { openAccess: true }, bindings: { documents: "NOPE" } });
    const res = await app.request("https://example.test/v1/docs/notes-1", {}, env);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "no Durable Object namespace binding named NOPE",
    );
  });

  it.each([
    [{ bindngs: {} }, /unknown option options\.bindngs/],
    [{ limits: { maxMessageBytes: -1 } }, /limits\.maxMessageBytes must be a positive integer/],
    [{ limits: { batch: { maxDoc: 2 } } }, /unknown option limits\.batch\.maxDoc/],
    [{ bindings: { documents: "my docs" } }, /bindings\.documents must be a binding name/],
    [{ allowedOrigins: "https://a.example" }, /allowedOrigins must be "\*" or an array/],
    [{ auth: { secret: "s", openAccess: true } }, /auth: openAccess cannot be combined/],
    [{ basePath: "collab/" }, /basePath must look like \/collab/],
  ])("createEdgesync(%j) throws", (options, message) => {
    expect(() => createEdgesync(options as never)).toThrow(message);
  });

  it.each([
    [{ db: "app db" }, /db must be a binding name/],
    [{ limits: { maxDocBytez: 1 } }, /unknown option limits\.maxDocBytez/],
    [{ limits: { maxDocBytes: 0 } }, /limits\.maxDocBytes must be a positive integer/],
    [{ limits: { rateWindowMs: 1.5 } }, /limits\.rateWindowMs must be a positive integer/],
    [{ agents: { leaseMs: 0 } }, /agents\.leaseMs must be a positive integer/],
    [{ agents: { leese: 1 } }, /unknown option agents\.leese/],
    [{ dbName: "X" }, /unknown option dbName/],
  ])("createDocumentObject(%j) throws", (options, message) => {
    expect(() => createDocumentObject(options as never)).toThrow(message);
  });
});
