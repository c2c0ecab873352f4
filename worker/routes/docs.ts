// The REST API under /v1: the document index, binary and JSON reads, HTTP writes, one-round-
// trip HTTP sync for mobile background tasks, and deletion. Described by /v1/openapi.json.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as Y from "yjs";
import { documentInfo, renderJson } from "../../durable-objects/contract";
import { D1Record } from "../../durable-objects/storage/d1-record";
import { decodeBase64url, encodeBase64url } from "../../protocol/base64url";
import type { AppEnv } from "../app";
import { authorize, authorizePrefix } from "../auth";
import { MAX_DOC_NAME_BYTES, docNameFromUrl, rawParam } from "../doc-id";
import { readBody, requireJson } from "../body";
import { callDocument, readDocument, SOURCE_HEADER, unwrap } from "../documents";
import { ApiError } from "../errors";
import { settingsOf } from "../settings";
import { admin } from "./admin";
import { batchSync } from "./batch-sync";
import { DocumentInfoSchema } from "./document-info-schema";
import { history, jsonAt, pointOf, PointQuery, updateAt } from "./history";
import { Base64url, DocumentSchema, errors, IdParam, validationHook } from "./schemas";

/** Default and maximum page size of GET /v1/docs. */
const LIST_DEFAULT_LIMIT = 50;
const LIST_MAX_LIMIT = 500;
/** Room in a sync body besides the base64url update: state vector (~6,000 clients), epoch, JSON. */
const SYNC_BODY_ALLOWANCE_BYTES = 64 * 1024;

export const docs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** The `{id}` segment, percent-decoded (`%2F` is a slash in the name), or `_` with `?doc=`. */
function docIdOf(c: Context): string {
  return docNameFromUrl(c, rawParam(c, "id"));
}

function decodeParam(value: string, name: string): Uint8Array {
  try {
    return decodeBase64url(value);
  } catch (err) {
    throw new ApiError(
      400,
      `invalid_${name}`,
      `${name} is not base64url: ${(err as Error).message}`,
    );
  }
}

/** Reads a binary update body (after authentication), at most MAX_MESSAGE_BYTES, while it streams. */
async function binaryBody(c: Context<AppEnv>): Promise<Uint8Array> {
  const body = await readBody(c, settingsOf(c).maxMessageBytes(c.env));
  if (body.length === 0)
    throw new ApiError(400, "invalid_update", "the body is empty; send a binary Yjs update");
  return body;
}

docs.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs",
    summary: "List documents (admin)",
    request: {
      query: z.object({
        prefix: z.string().max(MAX_DOC_NAME_BYTES).optional(),
        cursor: z.string().max(MAX_DOC_NAME_BYTES).optional(),
        limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).optional(),
      }),
    },
    responses: {
      200: {
        description: "a page of the D1 document index",
        content: {
          "application/json": {
            schema: z.object({ documents: z.array(DocumentSchema), cursor: z.string().nullable() }),
          },
        },
      },
      ...errors(400, 401, 403),
    },
  }),
  async (c) => {
    const { prefix = "", cursor, limit = LIST_DEFAULT_LIMIT } = c.req.valid("query");
    await authorizePrefix(c, prefix, "admin");
    const rows = await new D1Record(settingsOf(c).db(c.env)).list({
      prefix,
      ...(cursor ? { cursor } : {}),
      limit: limit + 1,
    });
    const page = rows
      .slice(0, limit)
      .map(({ chunkCount: _c, flushedSeq: _f, snapshotCrc32: _s, stateVector: _v, ...row }) => row);
    return c.json(
      { documents: page, cursor: rows.length > limit ? page[page.length - 1]!.id : null },
      200,
    );
  },
);

docs.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs/{id}",
    summary: "Document metadata (read)",
    request: { params: IdParam },
    responses: {
      200: {
        description: "metadata",
        content: {
          "application/json": {
            schema: DocumentInfoSchema,
          },
        },
      },
      ...errors(400, 401, 403, 404, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "read");
    const { stats } = unwrap(await callDocument(c, id, async (stub) => await stub.info(id)));
    return c.json(documentInfo(id, stats), 200);
  },
);

docs.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs/{id}/update",
    summary:
      "The document as a binary Yjs update (read); ?sv= for only what a state vector lacks; " +
      "?version= or ?at= for the past (docs/history.md)",
    request: { params: IdParam, query: z.object({ sv: Base64url.optional(), ...PointQuery }) },
    responses: {
      200: {
        description: "Yjs update (v1)",
        content: {
          "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...errors(400, 401, 403, 404, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "read");
    const { sv, ...query } = c.req.valid("query");
    const stateVector = sv === undefined ? null : decodeParam(sv, "state_vector");
    const point = pointOf(query);
    const { value, source } = point
      ? { value: { update: await updateAt(c, id, point, stateVector) }, source: "live" }
      : await readDocument(
          c,
          id,
          async (stub) => await stub.getUpdate(id, stateVector),
          (doc) => ({ update: Y.encodeStateAsUpdate(doc, stateVector ?? undefined) }),
        );
    const headers = {
      "Content-Type": "application/octet-stream",
      ...(source === "d1" ? { [SOURCE_HEADER]: "d1" } : {}),
    };
    return c.body(value.update as Uint8Array<ArrayBuffer>, 200, headers);
  },
);

docs.openapi(
  createRoute({
    method: "post",
    path: "/v1/docs/{id}/update",
    summary: "Apply a binary Yjs update (write); durable before the response",
    request: {
      params: IdParam,
      body: {
        content: {
          "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
        },
        required: true,
      },
    },
    responses: {
      200: {
        description: "applied",
        content: {
          "application/json": {
            schema: z.object({ stateVector: Base64url, changed: z.boolean() }),
          },
        },
      },
      ...errors(400, 401, 403, 413, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    const { role } = await authorize(c, id, "write");
    const body = await binaryBody(c);
    const result = unwrap(
      await callDocument(c, id, async (stub) => await stub.postUpdate(id, body, role)),
    );
    return c.json(
      { stateVector: encodeBase64url(result.stateVector), changed: result.changed },
      200,
    );
  },
);

docs.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs/{id}/json",
    summary:
      "Root types rendered as JSON (read): text → string, map → object, array → array, XML → string; " +
      "?version= or ?at= for the past",
    request: { params: IdParam, query: z.object(PointQuery) },
    responses: {
      200: {
        description: "JSON rendering",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
      ...errors(400, 401, 403, 404, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "read");
    const point = pointOf(c.req.valid("query"));
    if (point) return c.json(await jsonAt(c, id, point), 200);
    const { value, source } = await readDocument(
      c,
      id,
      async (stub) => await stub.getJson(id),
      (doc) => ({ json: renderJson(doc) }),
    );
    return c.json(value.json, 200, source === "d1" ? { [SOURCE_HEADER]: "d1" } : {});
  },
);

// The sync route's JSON validator would parse whatever arrives before the handler runs: this runs
// first, so the body is read only once the token is verified, and only up to its cap.
docs.post("/v1/docs/:id/sync", async (c, next) => {
  const id = docIdOf(c);
  c.set("handoff", await authorize(c, id, "read"));
  requireJson(c);
  const max = settingsOf(c).maxMessageBytes(c.env);
  await readBody(c, Math.ceil((max * 4) / 3) + SYNC_BODY_ALLOWANCE_BYTES);
  await next();
});

const SyncRequest = z
  .object({
    stateVector: Base64url.describe("the client's state vector"),
    update: Base64url.optional().describe(
      "the client's pending update (write tokens; read tokens only if it holds nothing new)",
    ),
    epoch: z
      .string()
      .optional()
      .describe("the epoch the client last synced with; 409 if the document was since deleted"),
    paged: z
      .boolean()
      .optional()
      .describe(
        "answer a large sync in pages of about 256 KiB: while the response says `more`, apply " +
          "its update and send again with the new state vector (the rest is what it then lacks)",
      ),
  })
  .openapi("SyncRequest");

docs.openapi(
  createRoute({
    method: "post",
    path: "/v1/docs/{id}/sync",
    summary: "One-round-trip HTTP sync (read or write)",
    request: {
      params: IdParam,
      body: { content: { "application/json": { schema: SyncRequest } }, required: true },
    },
    responses: {
      200: {
        description: "what the client lacks, and the server's state vector",
        content: {
          "application/json": {
            schema: z
              .object({
                update: Base64url,
                stateVector: Base64url,
                epoch: z.string(),
                more: z
                  .boolean()
                  .optional()
                  .describe("true: a page of a paged sync; ask again for the next"),
              })
              .openapi("SyncResponse"),
          },
        },
      },
      ...errors(400, 401, 403, 409, 413, 415, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    const { role } = c.get("handoff");
    const body = c.req.valid("json");
    // Its size, like every rule on a write, is the Durable Object's to judge (admission.ts).
    const update = body.update ? decodeParam(body.update, "update") : null;
    const stateVector = decodeParam(body.stateVector, "state_vector");
    const result = unwrap(
      await callDocument(
        c,
        id,
        async (stub) =>
          await stub.httpSync(id, stateVector, update, role, body.epoch ?? null, body.paged),
      ),
    );
    return c.json(
      {
        update: encodeBase64url(result.update),
        stateVector: encodeBase64url(result.stateVector),
        epoch: result.epoch,
        ...(result.more ? { more: true } : {}),
      },
      200,
    );
  },
);

docs.openapi(
  createRoute({
    method: "delete",
    path: "/v1/docs/{id}",
    summary: "Delete a document (admin): sockets closed with 4404, DO storage and D1 rows removed",
    request: { params: IdParam },
    responses: {
      200: {
        description: "deleted",
        content: {
          "application/json": { schema: z.object({ deleted: z.literal(true), id: z.string() }) },
        },
      },
      ...errors(400, 401, 403, 404, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "admin");
    unwrap(await callDocument(c, id, async (stub) => await stub.destroy(id)));
    return c.json({ deleted: true as const, id }, 200);
  },
);

docs.route("/", batchSync); // POST /v1/sync, in this router so /v1/openapi.json describes it
docs.route("/", admin); // the admin routes (stats, compact, flush, metrics), described there too
docs.route("/", history); // versions, activity, restore, revert (docs/history.md)

/** The bearer scheme; its description is the mount's own Auth's (see openapi.json below). */
const BEARER = { type: "http", scheme: "bearer", bearerFormat: "JWT" } as const;
/** Said of an Auth that does not describe itself (one an app built by hand). */
const ANY_TOKEN = "a token, as this deployment's Auth checks it (docs/security.md)";
docs.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
  ...BEARER,
  description: ANY_TOKEN,
});
docs.openAPIRegistry.registerComponent("securitySchemes", "token", {
  type: "apiKey",
  in: "query",
  name: "token",
  description: "the same JWT as ?token= (for clients that cannot set headers)",
});

/** Where the OpenAPI document is served, below the mount's path. */
const OPENAPI_PATH = "/v1/openapi.json";

/** The URL edgesync is mounted at, from the URL of a request for `route` (a path below it). */
function mountUrl(requestUrl: string, route: string): string {
  const { origin, pathname } = new URL(requestUrl);
  return origin + (pathname.endsWith(route) ? pathname.slice(0, -route.length) : "");
}

/** Every route needs a token (either way); the Worker checks it before anything else. */
const TOKEN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { token: [] }];

/** The spec, with the bearer scheme of the Auth this mount really uses. */
docs.get(OPENAPI_PATH, (c) => {
  const spec = docs.getOpenAPIDocument(specConfig(c));
  const description = settingsOf(c).auth(c.env).scheme ?? ANY_TOKEN;
  spec.components!.securitySchemes!.bearer = { ...BEARER, description };
  return c.json(spec);
});

const specConfig = (c: Context<AppEnv>) => ({
  openapi: "3.0.0",
  info: {
    title: "edgesync REST API",
    version: "1",
    description:
      "Errors are { error: { code, message } }. Every route takes a token, as Authorization: Bearer or ?token= " +
      "(not needed under `npm start`, which runs with open access). POST /sync without Content-Type: application/json is 415.",
  },
  // The server this spec was fetched from, so generated clients point at it: its origin and the
  // path edgesync is mounted under (`app.route("/collab", edgesync)` serves /collab/v1/…).
  servers: [{ url: mountUrl(c.req.url, OPENAPI_PATH) }],
  security: TOKEN_SECURITY,
});
