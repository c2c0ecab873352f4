// What REST and RPC ask of a document's history (docs/history.md): its content at a version or a
// time, its versions and activity, a named version, and the two forward changes — restore and
// revert — whose updates history/undo.ts computes and which are then written exactly as any other
// write (one verdict, stored and broadcast, durable before the reply).
import * as Y from "yjs";
import {
  failure,
  renderJson,
  type ActivityQuery,
  type HistoryActivityReply,
  type HistoryPoint,
  type RestoreReply,
  type RevertRequest,
  type RpcFailure,
  type RpcResult,
  type VersionReply,
  type VersionsQuery,
  type VersionsReply,
} from "../contract";
import type { Writer } from "../events";
import type { History } from "../history/history";
import { rootsOf } from "../history/roots";
import { restoreUpdate, revertUpdate } from "../history/undo";
import { Room } from "../room";
import type { HistoryUpdate } from "../storage/history-store";
import { checkUpdate, stateVectorProblem, writeUpdate } from "./document-api";
import { answer, open, type Hosted } from "./open";

const DISABLED = failure(
  409,
  "history_disabled",
  "history is off on this deployment (HISTORY_RETENTION_DAYS = 0)",
);

/** The loaded document and its history, or why not (404, 503, history off). */
async function opened(doc: Hosted, docId: string): Promise<[Room, History] | RpcFailure> {
  const room = await open(doc, docId);
  if (!(room instanceof Room)) return room;
  const history = doc.features.history;
  return history ? [room, history] : DISABLED;
}

/** The document at `point` as one update (what `stateVector` lacks of it, when given). */
export async function getUpdateAt(
  doc: Hosted,
  docId: string,
  point: HistoryPoint,
  stateVector: Uint8Array | null,
): Promise<RpcResult<{ update: Uint8Array }>> {
  const problem = stateVector && stateVectorProblem(stateVector);
  if (problem) return answer(doc, "rest", problem);
  const both = await opened(doc, docId);
  if (!Array.isArray(both)) return answer(doc, "rest", both);
  const past = both[1].docAt(point);
  if ("ok" in past) return answer(doc, "rest", past);
  return { ok: true, update: Y.encodeStateAsUpdate(past.doc, stateVector ?? undefined) };
}

/** The document at `point`, its root types rendered as JSON (as GET /json renders the live one). */
export async function getJsonAt(
  doc: Hosted,
  docId: string,
  point: HistoryPoint,
): Promise<RpcResult<{ json: Record<string, unknown> }>> {
  const both = await opened(doc, docId);
  if (!Array.isArray(both)) return answer(doc, "rest", both);
  const past = both[1].docAt(point);
  if ("ok" in past) return answer(doc, "rest", past);
  return { ok: true, json: renderJson(past.doc) };
}

/** Versions (and checkpoints unless `named`), newest first, a page at a time. */
export async function versions(
  doc: Hosted,
  docId: string,
  query: VersionsQuery,
): Promise<RpcResult<VersionsReply>> {
  const both = await opened(doc, docId);
  if (!Array.isArray(both)) return answer(doc, "rest", both);
  const before = cursorOf(query.cursor) ?? Number.MAX_SAFE_INTEGER;
  const rows = both[1].store.versions(before, query.limit + 1, query.named);
  const page = rows.slice(0, query.limit);
  const cursor = rows.length > query.limit ? page[page.length - 1]!.id : null;
  return { ok: true, versions: page, cursor };
}

/** Names the document's current state as a version (kept past the retention). */
export async function createVersion(
  doc: Hosted,
  docId: string,
  name: string,
  actor: string,
): Promise<RpcResult<VersionReply>> {
  const both = await opened(doc, docId);
  if (!Array.isArray(both)) return answer(doc, "rest", both);
  const [room, history] = both;
  const row = history.createVersion(room.doc, doc.host.store.size().lastSeq, name, actor);
  const version = { ...row, id: String(row.id), kind: "version" as const };
  // Recorded in the same synchronous turn as the checkpoint, so both commit together (webhooks/).
  doc.features.webhooks?.record("version.created", {
    version: version.id,
    name,
    actor,
    seq: row.seq,
    createdAt: row.ts,
  });
  return { ok: true, version };
}

/** Who changed the document when, newest first, by actor and time range, a page at a time. */
export async function historyActivity(
  doc: Hosted,
  docId: string,
  query: ActivityQuery,
): Promise<RpcResult<HistoryActivityReply>> {
  const both = await opened(doc, docId);
  if (!Array.isArray(both)) return answer(doc, "rest", both);
  const [room, history] = both;
  const { store } = history;
  const first = query.from === null ? 0 : (store.seqAtOrBefore(query.from - 1) ?? 0) + 1;
  let last = query.to === null ? Number.MAX_SAFE_INTEGER : (store.seqAtOrBefore(query.to) ?? -1);
  const before = cursorOf(query.cursor);
  if (before !== null) last = Math.min(last, before - 1);
  const rows = store.activity(first, last, query.actor, query.limit + 1);
  const page = rows.slice(0, query.limit).map(({ data, ...row }) => {
    const whole =
      row.bytes > data.byteLength ? store.updates(row.seq - 1, row.seq)[0]!.update : null;
    return { ...row, roots: rootsOf(room.doc, whole ?? new Uint8Array(data)) };
  });
  const cursor = rows.length > query.limit ? String(page[page.length - 1]!.seq) : null;
  return { ok: true, activity: page, cursor };
}

/** Restores the content at `point` as a forward change by `actor` (origin "restore"). */
export async function restore(
  doc: Hosted,
  docId: string,
  point: HistoryPoint,
  actor: string,
): Promise<RpcResult<RestoreReply>> {
  const writer: Writer = { origin: "restore", actor };
  return undo(doc, docId, point, writer, (base, after) => restoreUpdate(base, after));
}

/**
 * Removes `request.actor`'s changes stored between `from` and `to` (inclusive), keeping everyone
 * else's, as a forward change by `actor` (origin "revert", itself revertible by that actor).
 */
export async function revert(
  doc: Hosted,
  docId: string,
  request: RevertRequest,
  actor: string,
): Promise<RpcResult<RestoreReply>> {
  const writer: Writer = { origin: "revert", actor };
  const { from, to } = request;
  const target = (u: HistoryUpdate) => u.actor === request.actor && u.ts >= from && u.ts <= to;
  // From just before the window; a window opening before the document's history began (from 0:
  // "everything this actor did") starts at its first state when that history is whole.
  // (By the checkpoint itself, not its time: the first change may share its millisecond.)
  const start = (history: History): HistoryPoint => {
    const first = history.store.oldestCheckpoint(false);
    const whole = first !== null && first.seq === 0 && from - 1 < first.ts;
    return whole ? { version: String(first.id) } : { at: from - 1 };
  };
  return undo(doc, docId, start, writer, (base, after) => revertUpdate(base, after, target));
}

/** Computes the forward update from the state at `point` and what came after, and writes it. */
async function undo(
  doc: Hosted,
  docId: string,
  point: HistoryPoint | ((history: History) => HistoryPoint),
  writer: Writer,
  compute: (base: Uint8Array, after: HistoryUpdate[]) => Uint8Array | null,
): Promise<RpcResult<RestoreReply>> {
  const both = await opened(doc, docId);
  if (!Array.isArray(both)) return answer(doc, writer.origin, both);
  const [room, history] = both;
  const past = history.docAt(typeof point === "function" ? point(history) : point);
  if ("ok" in past) return answer(doc, writer.origin, past);
  let update: Uint8Array | null;
  try {
    update = compute(Y.encodeStateAsUpdate(past.doc), history.updatesAfter(past.seq));
  } catch (err) {
    console.error(`edgesync: ${writer.origin} of ${docId} failed: ${(err as Error).message}`);
    const message = `the ${writer.origin} could not be computed; nothing changed`;
    return answer(doc, writer.origin, failure(500, "restore_failed", message));
  }
  const stateVector = () => Y.encodeStateVector(room.doc);
  if (!update) return { ok: true, changed: false, seq: null, stateVector: stateVector() };
  const checked = checkUpdate(update, doc.host.limits);
  if (!(checked instanceof Uint8Array)) return answer(doc, writer.origin, checked);
  // Output gates hold the reply until the appended update is durable, as for any write.
  const written = writeUpdate(room, checked, "write", writer);
  if (!written.ok) return answer(doc, writer.origin, written);
  const seq = written.changed ? doc.host.store.size().lastSeq : null;
  return { ok: true, changed: written.changed, seq, stateVector: written.stateVector };
}

/** A page cursor: the id or seq the next page starts below, or null. */
function cursorOf(cursor: string | null): number | null {
  return cursor !== null && /^[0-9]{1,16}$/.test(cursor) ? Number(cursor) : null;
}
