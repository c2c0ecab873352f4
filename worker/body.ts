// Request bodies read while they stream, under a byte cap that holds with and without
// Content-Length: nothing is read before the caller has authenticated the request, and a body
// that passes the cap is refused with 413 and its stream cancelled at once, never buffered whole.
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "./errors";

/** JSON media types, as Hono's validator recognises them (`application/json`, `…+json`). */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

const tooLarge = (max: number) =>
  new ApiError(413, "payload_too_large", `request body exceeds ${max} bytes`);

/** Refuses a body that is not declared as JSON with 415, before any of it is read. */
export function requireJson(c: Context): void {
  const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "send the body as Content-Type: application/json",
    );
  }
}

/**
 * Reads the request body, at most `max` bytes: a declared Content-Length over the cap is refused
 * before reading, a chunked body as soon as it passes it. The bytes are also handed to Hono's body
 * cache, so a validator that parses the body afterwards parses these, not the stream.
 */
export async function readBody(c: Context, max: number): Promise<Uint8Array> {
  const stream = c.req.raw.body;
  const declared = c.req.header("Content-Length");
  if (declared !== undefined && Number(declared) > max) {
    stream?.cancel().catch(() => {});
    throw tooLarge(max);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (stream) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        reader.cancel().catch(() => {});
        throw tooLarge(max);
      }
      chunks.push(value);
    }
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // Hono types its cache by value but keeps (and awaits) promises in it.
  (c.req.bodyCache as { arrayBuffer?: Promise<ArrayBuffer> }).arrayBuffer = Promise.resolve(
    body.buffer,
  );
  return body;
}

/**
 * Middleware: a request answered without reading its body (refused before it) has the body
 * cancelled, so the runtime stops taking it in instead of draining all of it.
 */
export const cancelUnreadBody: MiddlewareHandler = async (c, next) => {
  await next();
  const request = c.req.raw;
  if (request.body && !request.bodyUsed) request.body.cancel().catch(() => {});
};
