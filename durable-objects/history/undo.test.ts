// Restore and revert against oracles: random concurrent edits by several clients over every root
// type stock clients use (formatted text, maps, arrays, nested types, a Tiptap-shaped XML
// fragment with marks), stored in arrival order as the server stores them.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { applyTxn, loadTrace } from "../../test/helpers/trace";
import { type HistoryUpdate, restoreUpdate, revertUpdate } from "./undo";

/** A small seeded generator (mulberry32), so a failure repeats. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: T[]): T => xs[int(xs.length)]! };
}
type Random = ReturnType<typeof random>;

/**
 * What a reader sees, through the typed API (independent of undo-content.ts's item walk), read
 * from a copy: a document whose roots are typed Y.Text cleans up formatting after remote changes
 * with local changes of its own, which a server storing what clients send must not make.
 */
function view(doc: Y.Doc, roots = ["t", "m", "a", "x", "late"]): string {
  const copy = docFrom(Y.encodeStateAsUpdate(doc));
  const read: Record<string, () => unknown> = {
    t: () => delta(copy.getText("t")),
    m: () => copy.getMap("m").toJSON(),
    a: () => copy.getArray("a").toJSON(),
    x: () => copy.getXmlFragment("x").toArray().map(xml),
    late: () => copy.getMap("late").toJSON(),
  };
  return sorted(Object.fromEntries(roots.map((r) => [r, read[r]!()])));
}

/** toDelta with adjacent runs of equal attributes joined (how items split is not content). */
function delta(text: Y.Text | Y.XmlText) {
  const out: { insert: unknown; attributes?: unknown }[] = [];
  for (const op of text.toDelta() as { insert: unknown; attributes?: unknown }[]) {
    const last = out.at(-1);
    const same = last && sorted(last.attributes) === sorted(op.attributes);
    if (same && typeof last.insert === "string" && typeof op.insert === "string") {
      last.insert += op.insert;
    } else out.push({ ...op });
  }
  return out;
}

function xml(node: unknown): unknown {
  if (node instanceof Y.XmlText) return delta(node);
  if (node instanceof Y.XmlElement) {
    return { name: node.nodeName, attrs: node.getAttributes(), children: node.toArray().map(xml) };
  }
  return String(node);
}

/** JSON with object keys sorted. */
function sorted(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function docFrom(...updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc;
}

const MARKS = [{ bold: {} }, { italic: {} }, { bold: {}, italic: {} }];
const WORDS = ["a", "bc", "def", " ", "ghij", "\n", "k"];

/** A paragraph as Tiptap's Collaboration extension stores it: an element holding one XmlText. */
function paragraph(r: Random, name = r.pick(["paragraph", "paragraph", "heading"])) {
  const el = new Y.XmlElement(name);
  if (name === "heading") el.setAttribute("level", String(1 + r.int(3)));
  const text = new Y.XmlText();
  text.insert(0, r.pick(WORDS) + r.pick(WORDS), r.next() < 0.5 ? r.pick(MARKS) : {});
  el.insert(0, [text]);
  return el;
}

function editText(r: Random, t: Y.Text | Y.XmlText, marks: object[], deletes = true) {
  const len = t.length;
  const op = r.int(4);
  if (op === 0 || len === 0 || !deletes) {
    t.insert(r.int(len + 1), r.pick(WORDS), r.next() < 0.3 ? r.pick(marks) : {});
  } else if (op === 1) {
    const at = r.int(len);
    t.delete(at, 1 + r.int(Math.min(4, len - at)));
  } else {
    const at = r.int(len);
    const mark = r.pick(marks);
    const unset = Object.fromEntries(Object.keys(mark).map((k) => [k, null]));
    t.format(at, 1 + r.int(len - at), op === 2 ? mark : unset);
  }
}

/** One random edit of any root type by a client. */
function edit(r: Random, doc: Y.Doc, withLate: boolean) {
  const op = r.int(withLate ? 6 : 5);
  if (op === 0) {
    editText(r, doc.getText("t"), [{ bold: true }, { italic: true }, { color: "#f00" }]);
  } else if (op === 1) {
    const m = doc.getMap("m");
    const key = `k${r.int(4)}`;
    const inner = m.get(key);
    const choice = r.int(5);
    if (choice === 0) m.delete(key);
    else if (choice === 1) m.set(key, r.int(100));
    else if (choice === 2) m.set(key, new Y.Map([["v", r.pick(WORDS)]]));
    else if (inner instanceof Y.Map) inner.set(`i${r.int(3)}`, r.pick(WORDS));
    else m.set(key, { json: r.pick(WORDS) });
  } else if (op === 2) {
    const a = doc.getArray<unknown>("a");
    const choice = r.int(4);
    if (choice === 0 && a.length > 0) a.delete(r.int(a.length), 1);
    else if (choice === 1) a.insert(r.int(a.length + 1), [new Y.Array<number>()]);
    else if (choice === 2) {
      const nested = a.toArray().filter((x): x is Y.Array<number> => x instanceof Y.Array);
      if (nested.length > 0) r.pick(nested).push([r.int(9)]);
      else a.push([r.int(9)]);
    } else a.insert(r.int(a.length + 1), [r.int(9), r.pick(WORDS)]);
  } else if (op === 5) {
    doc.getMap("late").set(`k${r.int(3)}`, r.pick(WORDS));
  } else {
    editFragment(r, doc.getXmlFragment("x"));
  }
}

function editFragment(r: Random, x: Y.XmlFragment, deletes = true, deleteAny = true) {
  const paragraphs = x.toArray().filter((n): n is Y.XmlElement => n instanceof Y.XmlElement);
  const own = paragraphs.filter((p) => p._item?.id.client === x.doc!.clientID);
  const choice = r.int(10);
  if (paragraphs.length === 0 || choice === 0) {
    x.insert(r.int(x.length + 1), [paragraph(r)]);
  } else if (choice === 1 && deletes && (deleteAny || own.length > 0)) {
    if (deleteAny) x.delete(r.int(x.length), 1);
    else x.delete(paragraphs.indexOf(r.pick(own)), 1);
  } else if (choice === 2) {
    const p = r.pick(paragraphs);
    if (p.nodeName === "heading") p.setAttribute("level", String(1 + r.int(3)));
    else p.setAttribute("textAlign", r.pick(["left", "center"]));
  } else {
    const text = r.pick(paragraphs).get(0);
    if (text instanceof Y.XmlText) editText(r, text, MARKS, deletes);
  }
}

/**
 * A server as the Durable Object is: it stores and broadcasts every change of its document, a
 * client's update as one entry and the formatting cleanup Yjs runs after it as another
 * ("anonymous"), keeping the state and view after each.
 */
class Server {
  readonly doc = new Y.Doc();
  readonly history: HistoryUpdate[] = [];
  readonly states: Uint8Array[] = [Y.encodeStateAsUpdate(this.doc)];
  readonly views: string[] = [view(this.doc)];

  constructor() {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      const [actor, kind] = typeof origin === "string" ? origin.split("/") : ["anonymous"];
      const seq = this.history.length + 1;
      this.history.push({ seq, ts: Date.now(), actor: actor!, origin: kind ?? "socket", update });
      this.states.push(Y.encodeStateAsUpdate(this.doc));
      this.views.push(view(this.doc));
    });
  }

  receive(update: Uint8Array, actor: string, origin = "socket") {
    Y.applyUpdate(this.doc, update, `${actor}/${origin}`);
  }

  /** Restores to `point` (a seq; 0 is the start) as the server would: the update is stored too. */
  restore(point: number): Uint8Array | null {
    const update = restoreUpdate(this.states[point]!, this.history.slice(point));
    if (update !== null) this.receive(update, "someone", "restore");
    return update;
  }
}

/** A client editing locally, sending its updates in order and syncing now and then. */
class Client {
  readonly doc = new Y.Doc();
  readonly outbox: Uint8Array[] = [];
  constructor(
    readonly actor: string,
    start: Uint8Array,
  ) {
    // Fixed client ids: concurrent edits resolve by client id, so a seed replays the same way.
    this.doc.clientID = 1000 + ([...actor].reduce((h, ch) => h * 31 + ch.charCodeAt(0), 7) % 1e6);
    Y.applyUpdate(this.doc, start, "remote");
    this.doc.on("update", (u: Uint8Array, origin: unknown) => {
      if (origin !== "remote") this.outbox.push(u);
    });
  }
  pull(from: Y.Doc) {
    Y.applyUpdate(this.doc, Y.encodeStateAsUpdate(from, Y.encodeStateVector(this.doc)), "remote");
  }
}

/** Three clients editing concurrently for `steps`, delivering to the server in random order. */
function session(seed: number, steps: number, server = new Server()) {
  const r = random(seed);
  const clients = ["ann", "bob", "cy"].map((a) => new Client(a, Y.encodeStateAsUpdate(server.doc)));
  for (let step = 0; step < steps; step++) {
    const c = r.pick(clients);
    const roll = r.next();
    if (roll < 0.55) edit(r, c.doc, step > steps / 2);
    else if (roll < 0.85 && c.outbox.length > 0) server.receive(c.outbox.shift()!, c.actor);
    else c.pull(server.doc);
  }
  for (const c of clients) for (const u of c.outbox.splice(0)) server.receive(u, c.actor);
  return { server, clients, r };
}

describe("restoreUpdate", () => {
  it("brings back the content at any point of random concurrent edits of every root type", () => {
    for (const seed of [1, 2]) {
      const { server, r } = session(seed, 400);
      const n = server.history.length;
      const current = server.states[n]!;
      for (let i = 0; i < 30; i++) {
        const point = i === 0 ? 0 : r.int(n + 1);
        const update = restoreUpdate(server.states[point]!, server.history.slice(point));
        const doc = docFrom(current);
        if (update !== null) Y.applyUpdate(doc, update);
        expect(view(doc), `seed ${seed}, point ${point} of ${n}`).toBe(server.views[point]);
        expect(update === null).toBe(server.views[point] === server.views[n]);
      }
    }
  });

  it("is a forward change clients merge with their own concurrent edits, and restoring to just before it undoes it", () => {
    const { server, clients, r } = session(4, 300);
    const before = server.history.length;
    const preRestore = server.views[before]!;
    expect(server.restore(Math.floor(before / 3))).not.toBeNull();
    expect(server.views.at(-1)).toBe(server.views[Math.floor(before / 3)]);
    // Clients typed meanwhile, then sync: nobody reloads, everyone converges on the server's doc.
    for (const c of clients) edit(r, c.doc, false);
    for (const c of clients) for (const u of c.outbox.splice(0)) server.receive(u, c.actor);
    for (const c of clients) c.pull(server.doc);
    for (const c of clients) expect(view(c.doc)).toBe(view(server.doc));
    // Restoring to the moment before the restore brings the pre-restore content back.
    expect(server.restore(before)).not.toBeNull();
    expect(server.views.at(-1)).toBe(preRestore);
    for (const c of clients) c.pull(server.doc);
    for (const c of clients) expect(view(c.doc)).toBe(preRestore);
  });

  it("empties root types that first appeared after the point, and answers null when nothing changed", () => {
    const server = new Server();
    const c = new Client("ann", server.states[0]!);
    c.doc.getText("t").insert(0, "hello", { bold: true });
    server.receive(c.outbox.shift()!, "ann");
    c.doc.getMap("late").set("k", new Y.Text("nested"));
    c.doc.getXmlFragment("x").insert(0, [paragraph(random(5))]);
    server.receive(c.outbox.shift()!, "ann");
    server.receive(c.outbox.shift()!, "ann");
    const update = restoreUpdate(server.states[1]!, server.history.slice(1));
    const doc = docFrom(server.states[3]!, update!);
    expect(view(doc)).toBe(server.views[1]);
    expect(doc.getMap("late").size).toBe(0);
    expect(restoreUpdate(server.states[3]!, [])).toBeNull();
    // Edits that cancel out change nothing.
    c.doc.getText("t").insert(0, "x");
    c.doc.getText("t").delete(0, 1);
    for (const u of c.outbox.splice(0)) server.receive(u, "ann");
    expect(restoreUpdate(server.states[3]!, server.history.slice(3))).toBeNull();
  });
});

/**
 * Two humans and an agent editing the same paragraphs at once. The agent sees everything; the
 * humans see only each other until the end, so an oracle of the humans' updates alone is a
 * document (the agent's edits the humans never built on). The agent types, deletes, formats,
 * adds and removes its own paragraphs, sets attributes and map values; the humans type (with
 * marks) into the same paragraphs, add paragraphs, set attributes and the same map keys. Two
 * things no revert can know are left out (see revertUpdate): a human deleting what the agent
 * had deleted first, and typing into a paragraph the agent had deleted first. The server stores
 * each change as its document applied it, in which both are gone.
 */
function agentSession(seed: number, steps: number) {
  const r = random(seed);
  const server = new Server();
  const setup = new Client("setup", server.states[0]!);
  const t = setup.doc.getText("t");
  t.insert(0, "The quick brown fox jumps over the lazy dog. ");
  t.insert(t.length, "Pack my box with five dozen jugs.", { italic: true });
  for (let i = 0; i < 4; i++) editFragment(r, setup.doc.getXmlFragment("x"));
  for (let i = 0; i < 4; i++) setup.doc.getXmlFragment("x").push([paragraph(r, "paragraph")]);
  setup.doc.getMap("m").set("title", "draft");
  for (const u of setup.outbox.splice(0)) server.receive(u, "setup");
  const base = server.states.at(-1)!;
  const baseSeq = server.history.length;
  const humansOnly = docFrom(base);
  const humans = ["ann", "bob"].map((a) => new Client(a, base));
  const agent = new Client("agent", base);
  const everyone = [...humans, agent];
  for (let step = 0; step < steps; step++) {
    const c = r.pick(everyone);
    const roll = r.next();
    if (roll < 0.5) {
      const which = r.int(3);
      if (which === 0)
        editText(r, c.doc.getText("t"), [{ bold: true }, { italic: true }], c === agent);
      else if (which === 1) c.doc.getMap("m").set(r.pick(["title", "state"]), r.pick(WORDS));
      else editFragment(r, c.doc.getXmlFragment("x"), c === agent, false);
    } else if (roll < 0.85 && c.outbox.length > 0) {
      const u = c.outbox.shift()!;
      server.receive(u, c.actor);
      if (c !== agent) Y.applyUpdate(humansOnly, u);
    } else c.pull(c === agent ? server.doc : humansOnly);
  }
  for (const c of everyone) {
    for (const u of c.outbox.splice(0)) {
      server.receive(u, c.actor);
      if (c !== agent) Y.applyUpdate(humansOnly, u);
    }
  }
  return { server, base, baseSeq, after: server.history.slice(baseSeq), humansOnly };
}

const humansView = (doc: Y.Doc) => view(doc, ["t", "x", "m"]);

describe("revertUpdate", () => {
  it("removes exactly the agent's concurrent edits of text and of a Tiptap fragment with marks", () => {
    for (const seed of [11, 12, 13, 14]) {
      const { server, base, after, humansOnly } = agentSession(seed, 500);
      expect(after.some((u) => u.actor === "agent")).toBe(true);
      const update = revertUpdate(base, after, (u) => u.actor === "agent");
      const doc = docFrom(server.states.at(-1)!, update ?? new Uint8Array([0, 0]));
      expect(humansView(doc), `seed ${seed}`).toBe(humansView(humansOnly));
    }
  });

  it("is itself revertible; reverting the same window again or no one's updates changes nothing", () => {
    const { server, base, baseSeq, after } = agentSession(21, 300);
    const before = server.views.at(-1)!;
    const revert = revertUpdate(base, after, (u) => u.actor === "agent")!;
    server.receive(revert, "someone", "revert");
    const reverted = server.views.at(-1)!;
    expect(reverted).not.toBe(before);
    // The button pressed twice: what the first revert brought back is not brought back again.
    const all = server.history.slice(baseSeq);
    const twice = revertUpdate(base, all, (u) => u.actor === "agent");
    if (twice !== null) expect(view(docFrom(server.states.at(-1)!, twice))).toBe(reverted);
    const again = revertUpdate(base, all, (u) => u.origin === "revert");
    expect(view(docFrom(server.states.at(-1)!, again!))).toBe(before);
    expect(revertUpdate(base, after, () => false)).toBeNull();
  });
});
