// The webhook outbox on the document host in Node (node:sqlite, the real SqliteLog and D1Record):
// events recorded with the change, one `document.updated` per debounce window, sent by the timer
// and removed only once the queue accepted them — across a restart before the send and one between
// the send and the removal — and `document.deleted` surviving the wipe it describes.
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { NodePlatform, nodeD1, FakeSocket } from "../../test/helpers/node-platform";
import { DEFAULT_LIMITS } from "../config";
import type { WebhookEvent } from "../contract/webhooks";
import { DocumentHost } from "../document-host";
import { installFeatures } from "../features";
import { agentWrite } from "../operations/agent";
import { destroy, postUpdate } from "../operations/document";
import type { Hosted } from "../operations/open";
import { D1Record } from "../storage/d1-record";
import { webhookSettingsFromEnv } from "./settings";
import type { WebhookQueue } from "./webhooks";

const DOC = "notes";
const DEBOUNCE_MS = 2_000;

/** A queue that keeps what it was sent; `hang` makes sendBatch never resolve (a crash after it). */
class Queue implements WebhookQueue {
  sent: WebhookEvent[] = [];
  hang = false;
  async sendBatch(messages: { body: string }[]) {
    this.sent.push(...messages.map((m) => JSON.parse(m.body) as WebhookEvent));
    if (this.hang) await new Promise(() => undefined);
  }
}

function object(
  db = new DatabaseSync(":memory:"),
  d1 = nodeD1(),
  clock = { t: 1_000_000 },
  clientEvents = false,
  alarm: number | null = null,
) {
  const platform = new NodePlatform(db);
  platform.alarm = alarm; // the alarm outlives the process, as Cloudflare's does
  const now = () => clock.t;
  const host = new DocumentHost({ platform, d1: new D1Record(d1), limits: DEFAULT_LIMITS, now });
  const queue = new Queue();
  const features = installFeatures(host, platform.sql, {
    limits: DEFAULT_LIMITS,
    agentLeaseMs: 60_000,
    activityMaxRows: 100,
    webhooks: { queue, debounceMs: DEBOUNCE_MS, clientEvents },
    now,
  });
  const doc: Hosted = { host, features, batches: { count: 0, frames: 0, largest: 0 } };
  /** The alarm fires (at whatever time it is). */
  const fire = async () => {
    platform.alarm = null;
    await host.alarm();
  };
  return { db, d1, clock, platform, host, doc, queue, features, fire };
}

/** A writer's local document and the updates it makes. */
function writer() {
  const ydoc = new Y.Doc();
  return {
    ydoc,
    type(root: string, chars: string) {
      const before = Y.encodeStateVector(ydoc);
      ydoc.getText(root).insert(0, chars);
      return Y.encodeStateAsUpdate(ydoc, before);
    },
  };
}

const rows = (db: DatabaseSync) =>
  db.prepare("SELECT type, open FROM es_webhook_outbox ORDER BY id").all();

describe("the webhook outbox", () => {
  it("records document.created with the first write, and one document.updated per window", async () => {
    const o = object();
    const w = writer();
    expect((await postUpdate(o.doc, DOC, w.type("t", "a"), "write")).ok).toBe(true);
    o.clock.t += 10;
    const agent = { id: "agent-7", name: "Seven" };
    await agentWrite(o.doc, DOC, w.type("meta", "b"), agent, "apply", null);
    o.clock.t += 10;
    await postUpdate(o.doc, DOC, w.type("t", "c"), "write");
    // Nothing leaves before the window ends; the alarm is set for it.
    expect(rows(o.db)).toEqual([
      { type: "document.created", open: 0 },
      { type: "document.updated", open: 1 },
    ]);
    await o.fire();
    expect(o.queue.sent.map((e) => e.type)).toEqual(["document.created"]);
    expect(o.platform.alarm).toBe(1_000_000 + DEBOUNCE_MS);

    o.clock.t = o.platform.alarm!;
    await o.fire();
    const updated = o.queue.sent[1]!;
    expect(updated).toMatchObject({
      type: "document.updated",
      documentId: DOC,
      epoch: o.host.epoch(),
      occurredAt: 1_000_000,
      data: {
        seq: { first: 1, last: 3 },
        actors: ["http", "agent-7"],
        roots: ["t", "meta"],
        lastChangeAt: 1_000_020,
      },
    });
    const sv = Uint8Array.from(atob((updated.data as { stateVector: string }).stateVector), (c) =>
      c.charCodeAt(0),
    );
    expect(sv).toEqual(Y.encodeStateVector(w.ydoc));
    expect(rows(o.db)).toEqual([]); // removed once the queue accepted them
    expect(o.features.webhooks!.backlog()).toEqual({ pending: 0, oldestAgeMs: null });

    // The next change opens a new window.
    o.clock.t += 1;
    await postUpdate(o.doc, DOC, w.type("t", "d"), "write");
    expect(o.features.webhooks!.backlog()).toEqual({ pending: 1, oldestAgeMs: 0 });
  });

  it("costs one small UPDATE per keystroke inside a window", async () => {
    const o = object();
    const w = writer();
    await postUpdate(o.doc, DOC, w.type("t", "x"), "write");
    const statements: string[] = [];
    o.host.events.on("stored", () => statements.push("stored"));
    const exec = o.platform.sql.exec.bind(o.platform.sql);
    o.platform.sql.exec = ((query: string, ...bindings: unknown[]) => {
      if (query.includes("es_webhook_outbox")) statements.push(query.split(" ")[0]!);
      return exec(query, ...bindings);
    }) as typeof o.platform.sql.exec;
    for (let i = 0; i < 200; i++) await postUpdate(o.doc, DOC, w.type("t", "y"), "write");
    // Each keystroke: the stored event, then one UPDATE of the open row (nothing else).
    expect(statements.length).toBe(400);
    expect(new Set(statements)).toEqual(new Set(["stored", "UPDATE"]));
  });

  it("loses nothing to a restart before the send, and sends again after one between send and removal", async () => {
    const first = object();
    const w = writer();
    await postUpdate(first.doc, DOC, w.type("t", "before restart"), "write");
    // Restart 1: the window was open, nothing sent. The row is on disk; memory is gone.
    const second = object(first.db, first.d1, first.clock); // and the alarm was lost
    await second.host.wake();
    await postUpdate(second.doc, DOC, w.type("t", "after"), "write");
    second.clock.t += DEBOUNCE_MS;
    second.queue.hang = true; // the queue accepts the batch, then the process dies
    void second.fire();
    await new Promise((r) => setTimeout(r, 10));
    const firstSend = second.queue.sent.map((e) => e.id);
    expect(second.queue.sent.map((e) => e.type)).toEqual(["document.created", "document.updated"]);
    expect(second.queue.sent[1]!.data.seq).toEqual({ first: 1, last: 2 }); // one window across the restart

    // Restart 2: the rows were sent but never removed: they are sent again, with the same ids.
    const third = object(first.db, first.d1, first.clock, false, second.platform.alarm);
    await third.host.wake();
    await third.fire();
    expect(third.queue.sent.map((e) => e.id)).toEqual(firstSend);
    expect(rows(third.db)).toEqual([]);
  });

  it("keeps document.deleted and the changes before it through the wipe, and sends them after it", async () => {
    const o = object();
    const w = writer();
    await postUpdate(o.doc, DOC, w.type("t", "short-lived"), "write");
    const epoch = o.host.epoch();
    expect((await destroy(o.doc, DOC)).ok).toBe(true);
    expect(o.host.exists()).toBe(false);
    expect(rows(o.db).map((r) => r.type)).toEqual([
      "document.created",
      "document.updated",
      "document.deleted",
    ]);
    // A restart before the alarm: the deleted document loads nothing, yet the timer sends them.
    const restarted = object(o.db, o.d1, o.clock, false, o.platform.alarm);
    await restarted.host.wake();
    await restarted.fire(); // document.created, due at once
    // document.deleted is due with the window the delete closed: both go together, in order.
    expect(restarted.platform.alarm).toBe(1_000_000 + DEBOUNCE_MS);
    restarted.clock.t = restarted.platform.alarm!;
    await restarted.fire();
    expect(restarted.queue.sent.map((e) => [e.type, e.documentId, e.epoch])).toEqual([
      ["document.created", DOC, epoch],
      ["document.updated", DOC, epoch],
      ["document.deleted", DOC, epoch],
    ]);
    expect(restarted.queue.sent[1]!.data.stateVector).toBe(
      btoa(String.fromCharCode(...Y.encodeStateVector(w.ydoc))),
    );
  });

  it("records client.joined and client.left when asked to", async () => {
    const o = object(undefined, undefined, undefined, true);
    const handoff = { docId: DOC, role: "write" as const, exp: null, sub: "ada" };
    expect(await o.host.admitSocket(handoff, null)).toBeNull();
    const ws = new FakeSocket();
    o.platform.open.push(ws);
    o.host.connect(ws, handoff, false);
    o.host.disconnect(ws);
    await o.fire();
    expect(o.queue.sent.map((e) => [e.type, e.data])).toEqual([
      ["document.created", {}],
      ["client.joined", { actor: "ada", role: "write" }],
      ["client.left", { actor: "ada", role: "write" }],
    ]);
  });

  it("is off without WEBHOOK_URL, and without a queue binding", () => {
    const queue = new Queue();
    expect(webhookSettingsFromEnv({ WEBHOOK_QUEUE: queue })).toBeNull();
    expect(webhookSettingsFromEnv({ WEBHOOK_URL: "https://example.com/hook" })).toBeNull();
    expect(
      webhookSettingsFromEnv({ WEBHOOK_URL: "https://example.com/hook", WEBHOOK_QUEUE: queue }),
    ).toMatchObject({ debounceMs: 2_000, clientEvents: false, queue });
  });
});
