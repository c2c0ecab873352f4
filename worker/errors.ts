// Typed HTTP errors mapped once to `{ "error": { "code", "message" } }` by `app.onError`.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../config/read";
import { D1NotMigratedError } from "../durable-objects/storage/d1-record";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The headers of a WebSocket upgrade handshake: a client's own, never copied onto another request. */
export const UPGRADE_HEADERS = [
  "Upgrade",
  "Connection",
  "Sec-WebSocket-Key",
  "Sec-WebSocket-Version",
  "Sec-WebSocket-Protocol",
  "Sec-WebSocket-Extensions",
] as const;

/** 426 unless the request asks for a WebSocket (the socket routes: /sync/:id, /hocuspocus, /mux). */
export function requireWebSocketUpgrade(c: Context): void {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(
      426,
      "upgrade_required",
      "this endpoint speaks WebSocket: send Upgrade: websocket",
    );
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** The one place errors become responses. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status);
  // A variable of the environment this route reads cannot be read: say which, and why.
  if (err instanceof ConfigError) {
    console.error(`edgesync: ${err.message}`);
    return c.json(errorBody("invalid_configuration", `edgesync: ${err.message}`), 500);
  }
  // The Worker's own D1 reads (the listing, the D1 read fallback) on a database never migrated.
  if (err instanceof D1NotMigratedError)
    return c.json(errorBody("d1_not_migrated", err.message), 500);
  // A JSON route's body sent without Content-Type: application/json (@hono/zod-openapi's gate).
  if (err instanceof HTTPException && err.status === 415) {
    return c.json(
      errorBody("unsupported_media_type", "send the body with Content-Type: application/json"),
      415,
    );
  }
  // Hono's own 4xx (e.g. its validator's "Malformed JSON in request body").
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody("invalid_request", err.message), err.status as ContentfulStatusCode);
  }
  console.error(`edgesync: unhandled error: ${err.stack ?? err.message}`);
  return c.json(errorBody("internal_error", "internal server error"), 500);
}

export function notFound(c: Context): Response {
  return c.json(
    errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`),
    404,
  );
}

/** 405 for a known path asked with a method it does not serve; `allow` lists the ones it does. */
export function methodNotAllowed(c: Context, allow: string): Response {
  const path = new URL(c.req.url).pathname;
  return c.json(
    errorBody("method_not_allowed", `${c.req.method} is not allowed on ${path}; allowed: ${allow}`),
    405,
    { Allow: allow },
  );
}
