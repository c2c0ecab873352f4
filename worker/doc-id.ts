// Where each door finds the document name in a request, checked by the one rule in
// protocol/doc-name.ts: refusals are 400 invalid_doc_id (a close code on sockets).
import type { Context } from "hono";
import { routePath } from "hono/route";
import {
  DOC_NAME_PLACEHOLDER,
  DOC_NAME_QUERY,
  decodeDocNamePath,
  docNameProblem,
} from "../protocol/doc-name";
import { ApiError } from "./errors";

export { MAX_DOC_NAME_BYTES } from "../protocol/doc-name";

/** Throws 400 invalid_doc_id unless `name` is a document name; returns it typed. */
export function requireDocName(name: unknown): string {
  const problem = docNameProblem(name);
  if (problem) throw new ApiError(400, "invalid_doc_id", problem);
  return name as string;
}

/**
 * The name in a URL: `raw` (a path segment, or the rest of the path, as sent) percent-decoded,
 * or the `?doc=` parameter when the path holds the placeholder (or nothing).
 */
export function docNameFromUrl(c: Context, raw: string): string {
  const query = c.req.query(DOC_NAME_QUERY);
  if (query !== undefined) {
    if (raw !== "" && raw !== DOC_NAME_PLACEHOLDER)
      throw new ApiError(
        400,
        "invalid_doc_id",
        `the document is named twice: by the path and by ?${DOC_NAME_QUERY}= (put ${DOC_NAME_PLACEHOLDER} in the path)`,
      );
    return requireDocName(query);
  }
  const name = decodeDocNamePath(raw);
  if (name === null)
    throw new ApiError(400, "invalid_doc_id", "document name is not percent-encoded UTF-8");
  return requireDocName(name);
}

/** The request's path as the client sent it: not decoded (Hono's c.req.path decodes some). */
function rawPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start === -1) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

/**
 * The raw path segment the route's `:param` matched. Hono decodes parameters leniently (`%FF`
 * stays `%FF`, so two names would share one), so it is read from the URL at the same position.
 */
export function rawParam(c: Context, param: string): string {
  const index = routePath(c).split("/").indexOf(`:${param}`);
  return rawPath(c.req.url).split("/")[index] ?? "";
}

/** The rest of the raw path after the route's `/*` (the `/sync/*` name, slashes included). */
export function rawRest(c: Context): string {
  const fixed = routePath(c).split("/").length - 1; // the segments before `*`
  return rawPath(c.req.url).split("/").slice(fixed).join("/");
}
