// What the RPC surface checks of history calls before any object runs (callers may pass
// anything): a point, a version name, a page query, a revert's target. Each answers a 400
// invalid_request failure, or null.
import {
  failure,
  MAX_HISTORY_PAGE,
  MAX_VERSION_NAME,
  type RpcFailure,
} from "../../durable-objects/contract";

const invalid = (message: string) => failure(400, "invalid_request", message);
const isTime = (t: unknown) => Number.isSafeInteger(t) && (t as number) >= 0;

export function pointProblem(point: unknown): RpcFailure | null {
  if (typeof point !== "object" || point === null)
    return invalid("point must be { at } or { version }");
  const keys = Object.keys(point);
  if (keys.length !== 1) return invalid("point must be { at } or { version }, one of them");
  const { at, version } = point as { at?: unknown; version?: unknown };
  if (keys[0] === "at" && isTime(at)) return null;
  if (keys[0] === "version" && typeof version === "string" && version.length > 0) return null;
  return invalid("point.at must be ms since the epoch, point.version a version id");
}

export function versionNameProblem(name: unknown): RpcFailure | null {
  if (typeof name === "string" && name.length > 0 && name.length <= MAX_VERSION_NAME) return null;
  return invalid(`a version name is 1 to ${MAX_VERSION_NAME} characters`);
}

export function historyQueryProblem(query: unknown): RpcFailure | null {
  if (typeof query !== "object" || query === null) return invalid("the query must be an object");
  const { cursor, limit, actor, from, to } = query as Record<string, unknown>;
  if (cursor !== undefined && !(typeof cursor === "string" && /^[0-9]{1,16}$/.test(cursor)))
    return invalid("cursor must be one a previous page returned");
  if (
    limit !== undefined &&
    !(Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_HISTORY_PAGE)
  )
    return invalid(`limit must be 1 to ${MAX_HISTORY_PAGE}`);
  if (actor !== undefined && typeof actor !== "string") return invalid("actor must be a string");
  if ((from !== undefined && !isTime(from)) || (to !== undefined && !isTime(to)))
    return invalid("from and to must be ms since the epoch");
  return null;
}

export function revertProblem(target: unknown): RpcFailure | null {
  const t = (typeof target === "object" && target !== null ? target : {}) as Record<
    string,
    unknown
  >;
  if (typeof t.actor !== "string" || t.actor.length === 0)
    return invalid("target.actor must name an actor");
  if (!isTime(t.from) || !isTime(t.to))
    return invalid("target.from and target.to must be ms since the epoch");
  if ((t.from as number) > (t.to as number))
    return invalid("target.from must not be after target.to");
  return null;
}
