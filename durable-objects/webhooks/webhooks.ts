// Webhooks, the document's side (docs/webhooks.md): every event is recorded in the outbox
// (outbox.ts) in the same commit as the change it describes — listeners on the document's events
// write synchronously, so their row commits with the log append, the creation or the wipe — and
// the outbox timer hands due events to the queue, removing them only once `sendBatch` resolved.
// A crash between the two sends them again: at least once, each with its stable id.
import type { Room } from "../room";
import type { DocumentHost } from "../document-host";
import { MAX_LISTED, type WebhookEvent, type WebhookEventType } from "../contract/webhooks";
import type { Sql } from "../storage/sqlite-log";
import { Outbox, type Window } from "./outbox";
import { rootsOfTransaction, rootsOfUpdate } from "./roots";
import type * as Y from "yjs";

/** The timer that closes due windows and sends due events to the queue. */
export const WEBHOOK_TIMER = "webhooks";
/** Events per `sendBatch` at most (a Queues batch takes 100 messages). */
const SEND_COUNT = 100;
/** Body bytes per `sendBatch` at most (a Queues batch takes 256 KB). */
const SEND_BYTES = 200 * 1024;
/** Longest base64 state vector an event carries (a Queues message takes 128 KB); else "". */
const MAX_STATE_VECTOR_CHARS = 96 * 1024;

/** What a producer binding offers that the outbox uses (Cloudflare's `Queue`). */
export interface WebhookQueue {
  sendBatch(messages: { body: string; contentType: "text" }[]): Promise<unknown>;
}

export interface WebhookSettings {
  /** WEBHOOK_DEBOUNCE_MS: one `document.updated` per document per window. */
  debounceMs: number;
  /** WEBHOOK_CLIENT_EVENTS: record `client.joined` / `client.left`. */
  clientEvents: boolean;
}

/** The feature as the operations see it (features.ts). */
export interface Webhooks {
  /** Records an event of another feature (history's `version.created`) in the current commit. */
  record(type: WebhookEventType, data: Record<string, unknown>): void;
  /** Events waiting in the outbox (open windows included) and the oldest one's age. */
  backlog(): { pending: number; oldestAgeMs: number | null };
}

export function installWebhooks(
  host: DocumentHost,
  sql: Sql,
  queue: WebhookQueue,
  settings: WebhookSettings,
  now: () => number,
): Webhooks {
  const { events, timers } = host;
  const outbox = new Outbox(sql);
  /** The open window (undefined: not looked up since this instance started). */
  let window: Window | null | undefined;
  /** The document as last loaded (still there for the `deleted` listener, after the host dropped it). */
  let room: Room | null = null;
  /** A document opened as an empty view: its creation is recorded with its first change. */
  let provisional = false;
  /** Roots the latest Yjs transaction changed, once the watch is set (see watch). */
  let watched: Y.Doc | null = null;
  let lastRoots: string[] | null = null;

  type Identity = { documentId: string; epoch: string };
  const identity = (): Identity => {
    const { docId, epoch } = host.store.identity();
    return { documentId: docId ?? "", epoch };
  };
  /** Records an event, due at `dueAt` (at once by default). */
  const record = (
    type: WebhookEventType,
    data: Record<string, unknown>,
    at = now(),
    who = identity(),
    dueAt = at,
  ) => {
    outbox.add({ id: crypto.randomUUID(), type, ...who, occurredAt: at, data }, dueAt);
    timers.at(WEBHOOK_TIMER, dueAt);
  };

  /**
   * Closes the open window, due at `dueAt` or its own end if earlier: its event carries the
   * state vector after its last change. Returns when it is due (null: no window was open).
   */
  const close = (target: Room | null, who = identity(), dueAt = now()): number | null => {
    window ??= outbox.openWindow();
    if (!window) return null;
    const w = window;
    const stateVector = target ? toBase64(target.stateVector()) : "";
    const data = {
      // A queue message holds 128 KB: a state vector of thousands of clients is left out.
      stateVector: stateVector.length <= MAX_STATE_VECTOR_CHARS ? stateVector : "",
      seq: { first: w.firstSeq, last: w.lastSeq },
      actors: [...w.actors],
      roots: [...w.roots],
      lastChangeAt: w.lastAt,
    };
    outbox.close(
      w.id,
      {
        id: w.eventId,
        type: "document.updated",
        ...who,
        occurredAt: w.at,
        data,
      },
      dueAt,
    );
    window = null;
    return Math.min(w.dueAt, dueAt);
  };

  /** Sets the transaction watch on the live document (after a change: then it is applied). */
  const watch = (doc: Y.Doc) => {
    if (watched === doc) return;
    watched = doc;
    doc.on("afterTransaction", (tr: Y.Transaction) => {
      lastRoots = tr.changed.size > 0 ? rootsOfTransaction(tr) : [];
    });
  };

  events.on("loaded", ({ report, room: loaded }) => {
    room = loaded;
    provisional = report.provisional;
    if (report.source === "new" && !report.provisional) record("document.created", {});
    // Events left from before a restart are due as recorded (the alarm too may have been lost).
    timers.at(WEBHOOK_TIMER, outbox.nextDue());
  });

  events.on("stored", ({ seq, actor, update }) => {
    const at = now();
    if (provisional && host.exists()) {
      provisional = false;
      record("document.created", {}, at);
    }
    let roots: string[];
    const doc = host.loaded?.doc;
    if (doc && watched === doc && lastRoots) roots = lastRoots;
    else roots = doc ? rootsOfUpdate(doc, update) : [];
    lastRoots = null;
    if (doc) watch(doc);
    window ??= outbox.openWindow();
    if (!window) {
      const eventId = crypto.randomUUID();
      const dueAt = at + settings.debounceMs;
      const id = outbox.open(eventId, at, dueAt, seq, actor, roots.slice(0, MAX_LISTED));
      window = {
        id,
        eventId,
        at,
        lastAt: at,
        dueAt,
        firstSeq: seq,
        lastSeq: seq,
        actors: new Set([actor]),
        roots: new Set(roots.slice(0, MAX_LISTED)),
      };
      timers.at(WEBHOOK_TIMER, dueAt);
      return;
    }
    const w = window;
    let grew = false;
    if (!w.actors.has(actor) && w.actors.size < MAX_LISTED) grew = !!w.actors.add(actor);
    for (const name of roots)
      if (!w.roots.has(name) && w.roots.size < MAX_LISTED) grew = !!w.roots.add(name);
    w.lastSeq = seq;
    w.lastAt = at;
    // One small UPDATE per change; the lists are written only when one grew.
    if (grew) outbox.extendLists(w.id, seq, at, [...w.actors], [...w.roots]);
    else outbox.extend(w.id, seq, at);
  });

  events.on("deleted", ({ docId, epoch }) => {
    // The wipe kept the outbox (storage/schema.ts KEPT_TABLES) but emptied the identity: close
    // the open window with the state it ended at, then record the deletion, in the wipe's turn
    // and due with that window (so both go in one batch, the update first).
    const who = { documentId: docId, epoch };
    const at = now();
    const due = close(room, who, Infinity) ?? at;
    room = null;
    provisional = false;
    record("document.deleted", {}, at, who, due);
  });

  if (settings.clientEvents) {
    events.on("connected", (client) => record("client.joined", { ...client }));
    events.on("disconnected", (client) => record("client.left", { ...client }));
  }

  timers.register(WEBHOOK_TIMER, async () => {
    const t = now();
    window ??= outbox.openWindow();
    if (window && window.dueAt <= t) close(host.loaded ?? room);
    for (;;) {
      const ready = outbox.ready(t, SEND_COUNT, SEND_BYTES);
      if (ready.length === 0) break;
      // Removed only once the queue accepted them; a throw keeps them for the timer's retry.
      await queue.sendBatch(ready.map((r) => ({ body: r.body, contentType: "text" as const })));
      outbox.remove(ready.map((r) => r.id));
    }
    return outbox.nextDue();
  });

  return {
    record: (type, data) => record(type, data),
    backlog: () => {
      const { pending, oldestAt } = outbox.backlog();
      return { pending, oldestAgeMs: oldestAt === null ? null : Math.max(0, now() - oldestAt) };
    },
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
