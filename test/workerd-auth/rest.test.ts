// The REST API in workerd with local D1: every endpoint, each role's refusals, and bad input
// that is refused with a JSON error and changes nothing.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { DocumentObject } from "../../durable-objects/document-object";
import { CloseCode } from "../../protocol/close-codes";
import { decodeBase64url, encodeBase64url } from "../../protocol/base64url";
import { createToken, type Role } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { SyncedDoc, fetchWorker, stubFor, uniqueDocId } from "../helpers/workerd-socket";

const token = (doc: string, role: Role) =>
  createToken(TEST_AUTH_SECRET, { doc, role, ttlSeconds: 600 });
async function api(path: string, role: Role | null, doc: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (role) headers.set("Authorization", `Bearer ${await token(doc, role)}`);
  return fetchWorker(path, { ...init, headers });
}
const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code;

function textUpdate(text: string, base?: Y.Doc): Uint8Array {
  const doc = base ?? new Y.Doc();
  const before = Y.encodeStateVector(doc);
  doc.getText("t").insert(doc.getText("t").length, text);
  return Y.encodeStateAsUpdate(doc, before);
}

async function seeded(text = "hello") {
  const id = uniqueDocId("rest");
  const res = await api(`/v1/docs/${id}/update`, "write", id, {
    method: "POST",
    body: textUpdate(text),
  });
  expect(res.status).toBe(200);
  return id;
}

describe("REST API", () => {
  it("POST update applies durably and returns the state vector; GET update returns it, with ?sv only the diff", async () => {
    const id = uniqueDocId("rest");
    const local = new Y.Doc();
    const first = textUpdate("hello", local);
    const res = await api(`/v1/docs/${id}/update`, "write", id, { method: "POST", body: first });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stateVector: string; changed: boolean };
    expect(body.changed).toBe(true);
    expect(decodeBase64url(body.stateVector)).toEqual(Y.encodeStateVector(local));

    const full = await api(`/v1/docs/${id}/update`, "read", id);
    expect(full.headers.get("Content-Type")).toBe("application/octet-stream");
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(await full.arrayBuffer()));
    expect(copy.getText("t").toString()).toBe("hello");

    await api(`/v1/docs/${id}/update`, "write", id, {
      method: "POST",
      body: textUpdate(" world", local),
    });
    const diff = await api(
      `/v1/docs/${id}/update?sv=${encodeBase64url(Y.encodeStateVector(copy))}`,
      "read",
      id,
    );
    const diffBytes = new Uint8Array(await diff.arrayBuffer());
    expect(diffBytes.length).toBeLessThan(Y.encodeStateAsUpdate(local).length);
    Y.applyUpdate(copy, diffBytes);
    expect(copy.getText("t").toString()).toBe("hello world");
  });

  it("GET json renders text, maps, arrays and XML", async () => {
    const id = uniqueDocId("rest");
    const doc = new Y.Doc();
    doc.getText("text").insert(0, "plain");
    doc.getMap("map").set("n", 1);
    doc.getArray("list").push(["a", 2]);
    const frag = doc.getXmlFragment("xml");
    const p = new Y.XmlElement("p");
    p.insert(0, [new Y.XmlText("hi")]);
    frag.insert(0, [p]);
    await api(`/v1/docs/${id}/update`, "write", id, {
      method: "POST",
      body: Y.encodeStateAsUpdate(doc),
    });
    const res = await api(`/v1/docs/${id}/json`, "read", id);
    expect(await res.json()).toEqual({
      text: "plain",
      map: { n: 1 },
      list: ["a", 2],
      xml: "<p>hi</p>",
    });
  });

  it("GET metadata, and 404 for a document that does not exist (without creating it)", async () => {
    const id = await seeded("meta");
    const meta = (await (await api(`/v1/docs/${id}`, "read", id)).json()) as Record<
      string,
      unknown
    >;
    expect(meta).toMatchObject({
      id,
      updateCount: 1,
      connections: 0,
      quarantinedRows: 0,
      snapshotPending: false,
      lastLoad: { source: "new", deferred: false },
    });
    expect(meta.encodedSize).toBeGreaterThan(0);
    expect(typeof meta.epoch).toBe("string");
    const missing = uniqueDocId("missing");
    for (const path of [
      `/v1/docs/${missing}`,
      `/v1/docs/${missing}/update`,
      `/v1/docs/${missing}/json`,
    ]) {
      const res = await api(path, "read", missing);
      expect(res.status).toBe(404);
      expect(await errorCode(res)).toBe("document_not_found");
    }
    expect((await api(`/v1/docs/${missing}`, "read", missing)).status).toBe(404);
  });

  it("stores any name in the D1 index as given and lists it under a prefix of any characters", async () => {
    const prefix = `${uniqueDocId("list")}/🌟 ü/`;
    const ids = [`${prefix}a/b`, `${prefix}漢字`, `${prefix}🌟`];
    for (const id of ids) {
      const path = `/v1/docs/${encodeURIComponent(id)}/update`;
      await api(path, "write", id, { method: "POST", body: textUpdate(id) });
      await runInDurableObject(stubFor(id), (o: DocumentObject) => o.persistNow());
    }
    const res = await api(`/v1/docs?prefix=${encodeURIComponent(prefix)}`, "admin", `${prefix}*`);
    const page = (await res.json()) as { documents: { id: string }[] };
    expect(page.documents.map((d) => d.id)).toEqual(ids);
  });

  it("lists the D1 index for admins, with a prefix filter and cursor pagination", async () => {
    const prefix = uniqueDocId("list") + ":";
    const ids = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
    for (const id of ids) {
      await api(`/v1/docs/${id}/update`, "write", id, { method: "POST", body: textUpdate(id) });
      await runInDurableObject(stubFor(id), (o: DocumentObject) => o.persistNow());
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api(
        `/v1/docs?prefix=${encodeURIComponent(prefix)}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        "admin",
        `${prefix}*`,
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        documents: { id: string; encodedSize: number }[];
        cursor: string | null;
      };
      seen.push(...page.documents.map((d) => d.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    // Listing needs admin and a claim that covers the prefix.
    expect((await api(`/v1/docs?prefix=${prefix}`, "write", `${prefix}*`)).status).toBe(403);
    expect((await api(`/v1/docs?prefix=${prefix}`, "admin", `${prefix}a`)).status).toBe(403);
    expect((await api(`/v1/docs`, "admin", `${prefix}*`)).status).toBe(403);
    expect((await api(`/v1/docs?prefix=${prefix}`, null, "")).status).toBe(401);
  });

  it("refuses each role what it may not do", async () => {
    const id = await seeded("roles");
    const write = (role: Role | null) =>
      api(`/v1/docs/${id}/update`, role, id, { method: "POST", body: textUpdate("x") });
    expect((await write("read")).status).toBe(403);
    expect((await api(`/v1/docs/${id}`, "write", id, { method: "DELETE" })).status).toBe(403);
    expect((await api(`/v1/docs/${id}/json`, null, id)).status).toBe(401);
    expect((await api(`/v1/docs/${id}/json`, "read", "another-doc")).status).toBe(403);
    const sync = (role: Role, update?: Uint8Array) =>
      api(`/v1/docs/${id}/sync`, role, id, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          stateVector: encodeBase64url(new Uint8Array([0])),
          ...(update ? { update: encodeBase64url(update) } : {}),
        }),
      });
    expect((await sync("read")).status).toBe(200);
    expect((await sync("read", textUpdate("sneaky"))).status).toBe(403);
    const json = (await (await api(`/v1/docs/${id}/json`, "read", id)).json()) as { t: string };
    expect(json.t).toBe("roles");
  });

  it("syncs over HTTP in one round trip", async () => {
    const id = await seeded("server side");
    const mobile = new Y.Doc();
    mobile.getText("t").insert(0, "offline edit; ");
    const res = await api(`/v1/docs/${id}/sync`, "write", id, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        stateVector: encodeBase64url(Y.encodeStateVector(mobile)),
        update: encodeBase64url(Y.encodeStateAsUpdate(mobile)),
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { update: string; stateVector: string; epoch: string };
    Y.applyUpdate(mobile, decodeBase64url(body.update));
    expect(Y.encodeStateVector(mobile)).toEqual(decodeBase64url(body.stateVector));
    const server = (await (await api(`/v1/docs/${id}/json`, "read", id)).json()) as { t: string };
    expect(server.t).toBe(mobile.getText("t").toString());
    // A stale epoch is refused before anything is applied.
    const stale = await api(`/v1/docs/${id}/sync`, "write", id, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        stateVector: encodeBase64url(Y.encodeStateVector(mobile)),
        epoch: "not-the-epoch",
      }),
    });
    expect(stale.status).toBe(409);
    expect(await errorCode(stale)).toBe("epoch_mismatch");
  });

  it("refuses malformed input with 400/413 JSON errors and leaves the document unchanged", async () => {
    const id = await seeded("unchanged");
    const before = await (await api(`/v1/docs/${id}/update`, "read", id)).arrayBuffer();
    const cases: [RequestInit & { path: string }, number, string][] = [
      [
        {
          path: `/v1/docs/${id}/update`,
          method: "POST",
          body: new Uint8Array([1, 2, 3, 250, 251]),
        },
        400,
        "invalid_update",
      ],
      [
        { path: `/v1/docs/${id}/update`, method: "POST", body: new Uint8Array() },
        400,
        "invalid_update",
      ],
      [
        {
          path: `/v1/docs/${id}/update`,
          method: "POST",
          body: new Uint8Array(4 * 1024 * 1024 + 1),
        },
        413,
        "payload_too_large",
      ],
      [{ path: `/v1/docs/${id}/update?sv=%%%`, method: "GET" }, 400, "invalid_state_vector"],
      [
        {
          path: `/v1/docs/${id}/update?sv=${encodeBase64url(new Uint8Array([5, 1]))}`,
          method: "GET",
        },
        400,
        "invalid_state_vector",
      ],
      [
        {
          path: `/v1/docs/${id}/sync`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: "{not json",
        },
        400,
        "invalid_request",
      ],
      [
        {
          path: `/v1/docs/${id}/sync`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ update: "AAAA" }),
        },
        400,
        "invalid_request",
      ],
      [
        {
          path: `/v1/docs/${id}/sync`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ stateVector: "!!" }),
        },
        400,
        "invalid_state_vector",
      ],
      [
        {
          path: `/v1/docs/${id}/sync`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ stateVector: "AA", update: "AQID_w" }),
        },
        400,
        "invalid_update",
      ],
      [{ path: `/v1/docs/bad%00id/json`, method: "GET" }, 400, "invalid_doc_id"],
      [{ path: `/v1/docs?limit=100000`, method: "GET" }, 400, "invalid_request"],
    ];
    for (const [{ path, ...init }, status, code] of cases) {
      const res = await api(path, "admin", path.startsWith("/v1/docs?") ? "*" : id, init);
      expect(res.status, `${init.method} ${path}`).toBe(status);
      expect(await errorCode(res), `${init.method} ${path}`).toBe(code);
    }
    expect(
      new Uint8Array(await (await api(`/v1/docs/${id}/update`, "read", id)).arrayBuffer()),
    ).toEqual(new Uint8Array(before));
  });

  it("DELETE closes sockets with 4404, removes storage and D1 rows, and a new epoch starts empty", async () => {
    const id = await seeded("to be deleted");
    await runInDurableObject(stubFor(id), (o: DocumentObject) => o.persistNow());
    const socket = await SyncedDoc.open(id, `?token=${await token(id, "write")}`);
    await socket.waitForText("to be deleted");
    const { epoch } = (await (await api(`/v1/docs/${id}`, "read", id)).json()) as { epoch: string };

    const res = await api(`/v1/docs/${id}`, "admin", id, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect((await socket.socket.closed).code).toBe(CloseCode.DocumentDeleted);
    const { env } = await import("cloudflare:workers");
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM documents WHERE id = ?").bind(id).first("n"),
    ).toBe(0);
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM snapshot_chunks WHERE doc_id = ?")
        .bind(id)
        .first("n"),
    ).toBe(0);
    expect((await api(`/v1/docs/${id}/json`, "read", id)).status).toBe(404);

    // A stale stock client reconnects and replays its old state: it does not come back.
    const stale = await SyncedDoc.open(id, `?token=${await token(id, "write")}`);
    stale.socket.send(
      (await import("../../protocol/messages")).encodeSyncUpdate(Y.encodeStateAsUpdate(socket.doc)),
    );
    stale.doc.getText("t").insert(0, "new life");
    await (await SyncedDoc.open(id, `?token=${await token(id, "read")}`)).waitForText("new life");
    const meta = (await (await api(`/v1/docs/${id}`, "read", id)).json()) as { epoch: string };
    expect(meta.epoch).not.toBe(epoch);
    // Our SDK's epoch check: connecting with the old epoch is refused with 4404.
    const old = await SyncedDoc.open(
      id,
      `?token=${await token(id, "write")}&ext=1&epoch=${epoch}`,
    ).catch((e: Error) => e);
    expect(String(old)).toContain("4404");
  });

  it("serves an OpenAPI description generated from the routes", async () => {
    const res = await fetchWorker("/v1/openapi.json");
    const spec = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe("3.0.0");
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        "/v1/docs",
        "/v1/docs/{id}",
        "/v1/docs/{id}/json",
        "/v1/docs/{id}/sync",
        "/v1/docs/{id}/update",
        "/v1/sync",
        "/v1/docs/{id}/stats",
        "/v1/docs/{id}/compact",
        "/v1/docs/{id}/flush",
        "/v1/metrics",
        "/v1/docs/{id}/versions",
        "/v1/docs/{id}/activity",
        "/v1/docs/{id}/restore",
        "/v1/docs/{id}/revert",
      ].sort(),
    );
  });
});
