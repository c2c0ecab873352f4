// Restore and revert with live clients on the real Worker and Durable Object (the shared server
// with tokens): a stock y-websocket provider, a @hocuspocus/provider on /hocuspocus and our SDK
// keep typing while the document is restored; all converge, with no reconnect, on the restored
// content plus what they typed after it, and restoring to just before the restore undoes it.
// An agent's window is reverted while two people keep their edits.
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncProvider } from "../../client/index";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { attach, hocuspocusSocket } from "../helpers/hocuspocus";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

const server = () => sharedServer("auth");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tokenFor = (doc: string, sub: string) =>
  createToken(TEST_AUTH_SECRET, { doc, role: "write", ttlSeconds: 3600, sub });

/** The document's main roots as a reader sees them: formatted text, a map, a Tiptap fragment. */
function view(doc: Y.Doc): string {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return JSON.stringify({
    t: copy.getText("t").toDelta(),
    m: copy.getMap("m").toJSON(),
    x: copy.getXmlFragment("x").toString(),
  });
}

async function rest(docId: string, route: string, sub: string, body?: unknown) {
  const res = await fetch(`${server().url}/v1/docs/${encodeURIComponent(docId)}/${route}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      Authorization: `Bearer ${await tokenFor(docId, sub)}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

interface Client {
  name: string;
  doc: Y.Doc;
  /** Times the client's connection dropped (a restore must not make anyone reconnect). */
  drops: () => number;
  saved: () => boolean;
  close: () => void;
}

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

/** ann on y-websocket, bob on a Hocuspocus provider, cy on our SDK: each with its own token. */
async function threeClients(docId: string): Promise<Client[]> {
  const ws = provider(server().wsUrl, docId, new Y.Doc(), {
    token: await tokenFor(docId, "ann"),
  });
  let wsDrops = 0;
  ws.on("connection-close", () => wsDrops++);
  const socket = hocuspocusSocket(server().url);
  const hp = attach(socket, docId, await tokenFor(docId, "bob"));
  let hpDrops = 0;
  hp.provider.on("disconnect", () => hpDrops++);
  const sdk = new SyncProvider({
    url: server().wsUrl,
    docId,
    doc: new Y.Doc(),
    token: await tokenFor(docId, "cy"),
  });
  let sdkDrops = 0;
  sdk.on("status", (s: unknown) => {
    if (s === "disconnected" || s === "connecting") sdkDrops++;
  });
  await Promise.all([whenSynced(ws), sdk.whenSynced()]);
  await eventually(
    () => hp.provider.isSynced,
    () => "hocuspocus provider not synced",
  );
  const clients: Client[] = [
    {
      name: "ann",
      doc: ws.doc,
      drops: () => wsDrops,
      saved: () => true,
      close: () => ws.destroy(),
    },
    {
      name: "bob",
      doc: hp.doc,
      drops: () => hpDrops,
      saved: () => !hp.provider.hasUnsyncedChanges,
      close: () => {
        hp.provider.destroy();
        socket.destroy();
      },
    },
    {
      name: "cy",
      doc: sdk.doc,
      drops: () => sdkDrops,
      saved: () => !sdk.hasUnsavedChanges,
      close: () => void sdk.destroy(),
    },
  ];
  open.push(...clients);
  return clients;
}

/** Waits until every client holds the same document, all of it saved. */
async function converged(clients: Client[], roots = (d: Y.Doc) => view(d)): Promise<void> {
  const full = (d: Y.Doc) => JSON.stringify(Y.encodeStateVector(d)) + roots(d);
  await eventually(
    () => clients.every((c) => c.saved() && full(c.doc) === full(clients[0]!.doc)),
    () => clients.map((c) => `${c.name}: ${roots(c.doc)}`).join("\n"),
  );
}

function paragraph(text: string, marks: object = {}): Y.XmlElement {
  const p = new Y.XmlElement("paragraph");
  const t = new Y.XmlText();
  t.insert(0, text, marks);
  p.insert(0, [t]);
  return p;
}

describe("restore with live clients", () => {
  it("three kinds of client typing through a restore converge on it without reconnecting; restoring to just before it undoes it", async () => {
    const docId = uniqueDocId("restore-live");
    const clients = await threeClients(docId);
    const [ann, bob, cy] = clients as [Client, Client, Client];
    // The version to come back to: formatted text, a map, a Tiptap-shaped fragment with marks.
    ann.doc.getText("t").insert(0, "Hello world", {});
    ann.doc.getText("t").format(6, 5, { bold: true });
    bob.doc.getXmlFragment("x").insert(0, [paragraph("Title", { bold: {} }), paragraph("body")]);
    cy.doc.getMap("m").set("title", "v1");
    await converged(clients);
    const restored = view(ann.doc);
    const point = Date.now();
    await sleep(30);
    // Everyone changes everything after the point.
    ann.doc.getText("t").delete(0, 6);
    ann.doc.getText("t").insert(ann.doc.getText("t").length, " again", { italic: true });
    bob.doc.getXmlFragment("x").delete(0, 1);
    bob.doc.getXmlFragment("x").push([paragraph("new", { italic: {} })]);
    cy.doc.getMap("m").set("title", "v2");
    cy.doc.getMap("m").set("extra", 1);
    await converged(clients);
    const preRestore = view(ann.doc);
    expect(preRestore).not.toBe(restored);
    await sleep(30);

    // Each client keeps appending to its own text while the restore is computed and written.
    const typed = new Map(clients.map((c) => [c.name, ""]));
    let typing = true;
    const loops = clients.map(async (c) => {
      for (let i = 0; typing; i++) {
        const text = c.doc.getText(`typing-${c.name}`);
        text.insert(text.length, `${i},`);
        typed.set(c.name, typed.get(c.name)! + `${i},`);
        await sleep(10);
      }
    });
    await sleep(100);
    const answer = await rest(docId, "restore", "editor", { at: point });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ changed: true });
    await sleep(300);
    typing = false;
    await Promise.all(loops);
    const typedRoots = (d: Y.Doc) =>
      clients.map((c) => d.getText(`typing-${c.name}`).toString()).join("|");
    await converged(clients, (d) => view(d) + typedRoots(d));
    for (const c of clients) {
      expect(view(c.doc), c.name).toBe(restored);
      expect(c.drops(), `${c.name} reconnected`).toBe(0);
      // What each typed before the restore went with it; what it typed after stayed.
      for (const other of clients) {
        const kept = c.doc.getText(`typing-${other.name}`).toString();
        expect(kept.length, `${other.name}'s typing after the restore`).toBeGreaterThan(0);
        expect(typed.get(other.name)!.endsWith(kept), `${kept} ends what was typed`).toBe(true);
      }
    }

    // The restore is in the activity as a change of its own; restoring to the moment before it
    // brings back the content it replaced.
    const activity = await rest(docId, `activity?actor=editor`, "editor");
    const entry = activity.body.activity.find((a: any) => a.seq === answer.body.seq);
    expect(entry).toMatchObject({ actor: "editor", origin: "restore" });
    const before = await rest(docId, `json?at=${entry.ts - 1}`, "editor");
    const undo = await rest(docId, "restore", "editor", { at: entry.ts - 1 });
    expect(undo.status).toBe(200);
    await converged(clients, (d) => view(d) + typedRoots(d));
    for (const c of clients) {
      expect(view(c.doc), c.name).toBe(preRestore);
      for (const other of clients) {
        const text = c.doc.getText(`typing-${other.name}`).toString();
        expect(text).toBe(before.body[`typing-${other.name}`] ?? "");
      }
      expect(c.drops()).toBe(0);
    }
  });
});
