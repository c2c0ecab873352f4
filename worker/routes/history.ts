// The REST routes of history (docs/history.md): versions (list, create), activity, restore and
// revert, and the `?version=` / `?at=` reads of GET /v1/docs/:id/update and /json (docs.ts calls
// readAt). Mounted in the docs router, so /v1/openapi.json describes them.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  MAX_HISTORY_PAGE,
  MAX_VERSION_NAME,
  type HistoryPoint,
  type HistoryRpc,
  type RpcResult,
} from "../../durable-objects/contract";
import { encodeBase64url } from "../../protocol/base64url";
import type { AppEnv } from "../app";
import { authorize } from "../auth";
import { readBody, requireJson } from "../body";
import { docNameFromUrl, rawParam } from "../doc-id";
import { callDocument, unwrap } from "../documents";
import { ApiError } from "../errors";
import { Base64url, errors, IdParam, validationHook } from "./schemas";

export const history = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** Default page size of versions and activity. */
const DEFAULT_PAGE = 100;
/** Largest JSON body the history routes read (a name, a time, an actor). */
const MAX_BODY_BYTES = 16 * 1024;

const docIdOf = (c: Context) => docNameFromUrl(c, rawParam(c, "id"));
/** Who a history write is recorded as: the token's subject, "http" without one (as REST writes). */
const actorOf = (sub: string | undefined) => sub ?? "http";

const Millis = z
  .string()
  .regex(/^[0-9]{1,16}$/, "milliseconds since the epoch, digits only")
  .transform(Number);
const Cursor = z.string().regex(/^[0-9]{1,16}$/, "a cursor from the previous page");
const Limit = z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).optional();

/** `?version=` and `?at=` of the reads (at most one). */
export const PointQuery = {
  version: z.string().max(32).optional().describe("a version's or checkpoint's id (GET /versions)"),
  at: Millis.optional().describe("a time, in milliseconds since the epoch"),
};

/** The point `?version=` / `?at=` name, null when neither is given; 400 when both are. */
export function pointOf(query: { version?: string; at?: number }): HistoryPoint | null {
  if (query.version !== undefined && query.at !== undefined)
    throw new ApiError(400, "invalid_request", "give ?version= or ?at=, not both");
  if (query.version !== undefined) return { version: query.version };
  return query.at !== undefined ? { at: query.at } : null;
}

/** Calls one history method of the document's object (typed by the contract). */
function callHistory<T>(
  c: Context<AppEnv>,
  id: string,
  call: (stub: HistoryRpc) => PromiseLike<RpcResult<T>>,
): Promise<RpcResult<T>> {
  return callDocument(c, id, (stub) => call(stub as unknown as HistoryRpc));
}

/**
 * GET /update and /json at a point: from the live object only (D1 holds only the present, so a
 * damaged object is a 503 here, never today's content in place of the past's).
 */
export async function updateAt(
  c: Context<AppEnv>,
  id: string,
  point: HistoryPoint,
  stateVector: Uint8Array | null,
): Promise<Uint8Array> {
  return unwrap(await callHistory(c, id, (s) => s.getUpdateAt(id, point, stateVector))).update;
}

export async function jsonAt(
  c: Context<AppEnv>,
  id: string,
  point: HistoryPoint,
): Promise<Record<string, unknown>> {
  return unwrap(await callHistory(c, id, (s) => s.getJsonAt(id, point))).json;
}

// The POST routes authenticate before the body is read, and read it only up to its cap (as /sync).
for (const path of ["/v1/docs/:id/versions", "/v1/docs/:id/restore", "/v1/docs/:id/revert"]) {
  history.post(path, async (c, next) => {
    c.set("handoff", await authorize(c, docIdOf(c), "write"));
    requireJson(c);
    await readBody(c, MAX_BODY_BYTES);
    await next();
  });
}

const VersionSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["version", "checkpoint"]),
    name: z.string().nullable(),
    ts: z.number(),
    actor: z.string().nullable(),
    seq: z.number(),
    bytes: z.number(),
  })
  .openapi("Version");
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

history.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs/{id}/versions",
    summary: "Named versions and checkpoints, newest first, paged (read)",
    request: {
      params: IdParam,
      query: z.object({
        cursor: Cursor.optional(),
        limit: Limit,
        named: z.enum(["true", "false"]).optional().describe("true: named versions only"),
      }),
    },
    responses: {
      200: json(
        z.object({ versions: z.array(VersionSchema), cursor: z.string().nullable() }),
        "a page of versions; pass `cursor` for the next",
      ),
      ...errors(400, 401, 403, 404, 409, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "read");
    const q = c.req.valid("query");
    const query = {
      cursor: q.cursor ?? null,
      limit: q.limit ?? DEFAULT_PAGE,
      named: q.named === "true",
    };
    const page = unwrap(await callHistory(c, id, (s) => s.versions(id, query)));
    return c.json({ versions: page.versions, cursor: page.cursor }, 200);
  },
);

history.openapi(
  createRoute({
    method: "post",
    path: "/v1/docs/{id}/versions",
    summary: "Name the document's current state as a version (write); kept past the retention",
    request: {
      params: IdParam,
      body: {
        content: {
          "application/json": {
            schema: z
              .object({ name: z.string().min(1).max(MAX_VERSION_NAME) })
              .openapi("NewVersion"),
          },
        },
        required: true,
      },
    },
    responses: {
      200: json(z.object({ version: VersionSchema }), "the version"),
      ...errors(400, 401, 403, 404, 409, 413, 415, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    const { name } = c.req.valid("json");
    const actor = actorOf(c.get("handoff").sub);
    const { version } = unwrap(await callHistory(c, id, (s) => s.createVersion(id, name, actor)));
    return c.json({ version }, 200);
  },
);

const ActivitySchema = z
  .object({
    seq: z.number(),
    ts: z.number(),
    actor: z.string(),
    origin: z.string().describe("socket, rest, rpc, restore or revert"),
    bytes: z.number(),
    roots: z.array(z.string()).describe('root types the update touched ("?": not told)'),
  })
  .openapi("ActivityEntry");

history.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs/{id}/activity",
    summary: "Who changed the document when, one entry per stored update, newest first (read)",
    request: {
      params: IdParam,
      query: z.object({
        cursor: Cursor.optional(),
        limit: Limit,
        actor: z.string().max(256).optional(),
        from: Millis.optional().describe("from this time (ms since the epoch, inclusive)"),
        to: Millis.optional().describe("to this time (inclusive)"),
      }),
    },
    responses: {
      200: json(
        z.object({ activity: z.array(ActivitySchema), cursor: z.string().nullable() }),
        "a page of activity; pass `cursor` for the next",
      ),
      ...errors(400, 401, 403, 404, 409, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "read");
    const q = c.req.valid("query");
    const query = {
      cursor: q.cursor ?? null,
      limit: q.limit ?? DEFAULT_PAGE,
      actor: q.actor ?? null,
      from: q.from ?? null,
      to: q.to ?? null,
    };
    const page = unwrap(await callHistory(c, id, (s) => s.historyActivity(id, query)));
    return c.json({ activity: page.activity, cursor: page.cursor }, 200);
  },
);

const RestoreResult = json(
  z
    .object({
      changed: z.boolean(),
      seq: z.number().nullable().describe("the stored change's seq (its activity entry)"),
      stateVector: Base64url,
    })
    .openapi("RestoreResult"),
  "durable: every connected client receives it as a normal update",
);
const Time = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

history.openapi(
  createRoute({
    method: "post",
    path: "/v1/docs/{id}/restore",
    summary: "Bring back the content at a version or time as a forward change (write)",
    request: {
      params: IdParam,
      body: {
        content: {
          "application/json": {
            schema: z
              .union([
                z.object({ at: Time }).strict(),
                z.object({ version: z.string().min(1).max(32) }).strict(),
              ])
              .openapi("RestoreRequest"),
          },
        },
        required: true,
      },
    },
    responses: { 200: RestoreResult, ...errors(400, 401, 403, 404, 409, 410, 413, 415, 503) },
  }),
  async (c) => {
    const id = docIdOf(c);
    const point = c.req.valid("json");
    const actor = actorOf(c.get("handoff").sub);
    const done = unwrap(await callHistory(c, id, (s) => s.restore(id, point, actor)));
    return c.json({ ...done, stateVector: encodeBase64url(done.stateVector) }, 200);
  },
);

history.openapi(
  createRoute({
    method: "post",
    path: "/v1/docs/{id}/revert",
    summary: "Remove one actor's changes made in a time window, keeping everyone else's (write)",
    request: {
      params: IdParam,
      body: {
        content: {
          "application/json": {
            schema: z
              .object({
                actor: z.string().min(1).max(256),
                from: Time.describe("ms since the epoch, inclusive"),
                to: Time.describe("ms since the epoch, inclusive"),
              })
              .strict()
              .refine((r) => r.from <= r.to, "from must not be after to")
              .openapi("RevertRequest"),
          },
        },
        required: true,
      },
    },
    responses: { 200: RestoreResult, ...errors(400, 401, 403, 404, 409, 410, 413, 415, 503) },
  }),
  async (c) => {
    const id = docIdOf(c);
    const request = c.req.valid("json");
    const actor = actorOf(c.get("handoff").sub);
    const done = unwrap(await callHistory(c, id, (s) => s.revert(id, request, actor)));
    return c.json({ ...done, stateVector: encodeBase64url(done.stateVector) }, 200);
  },
);
