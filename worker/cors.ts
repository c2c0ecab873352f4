// CORS for the REST API, driven by ALLOWED_ORIGINS: a browser app on an allowed origin gets its
// preflights answered and can read every response, errors included; a refused origin gets
// 403 origin_not_allowed and no allow header. Tokens travel in headers, never cookies, so
// credentials are never allowed (and so `*` is safe when ALLOWED_ORIGINS is `*`).
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "./app";
import { allowedOrigins, checkOrigin } from "./auth";
import { SOURCE_HEADER } from "./documents";

/** How long a browser may cache a preflight. Chromium caps it at 2 h, so more would not help there. */
export const CORS_MAX_AGE_SECONDS = 7200;
/** Request headers a browser may send: the Bearer token and the JSON body's type. */
export const CORS_ALLOW_HEADERS = ["Authorization", "Content-Type"];
/** Methods the REST API uses (GET, HEAD and POST without custom headers need no preflight). */
export const CORS_ALLOW_METHODS = ["GET", "HEAD", "POST", "DELETE", "OPTIONS"];

/** Response headers a page may read beyond the safe ones: where a degraded read came from. */
export const CORS_EXPOSE_HEADERS = [SOURCE_HEADER];

/** The middleware for /v1/*: origin check first (so a refused preflight is a 403), then CORS. */
export function restCors(): MiddlewareHandler<AppEnv> {
  const headers = cors({
    origin: (origin, c) => {
      const allowed = allowedOrigins(c);
      if (allowed === "*") return "*";
      return allowed.includes(origin) ? origin : null;
    },
    allowMethods: CORS_ALLOW_METHODS,
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
  });
  return async (c, next) => {
    checkOrigin(c);
    return headers(c, next);
  };
}
