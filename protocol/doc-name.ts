// The document-name rule, shared by the Worker's doors and the SDK: any non-empty Unicode string
// up to MAX_DOC_NAME_BYTES of UTF-8, without control characters, as Hocuspocus and y-websocket
// accept any room name. Also how a name travels in a URL (one percent-encoded path segment).

/**
 * Longest name, in UTF-8 bytes. What bounds it: a name travels percent-encoded (up to 3× its
 * bytes) in the `/sync` URL beside the token, within Cloudflare's 16 KiB URL limit, and in the
 * handoff header to the document's object; it is stored in every socket's attachment (16 KiB
 * with the socket's other facts) and repeated in every Hocuspocus frame; D1 keys it as given.
 * 1 KiB leaves each of those ample room and is 4× the 256 bytes Hocuspocus apps need at most.
 */
export const MAX_DOC_NAME_BYTES = 1024;

/**
 * The query parameter that names the document when the path cannot: URL parsers (browsers,
 * fetch, `ws`, and the platform in front of the Worker) drop the path segments `.` and `..`,
 * `%2E` forms included. With it the path holds DOC_NAME_PLACEHOLDER (or, on /sync, nothing):
 * `/sync/_?doc=..`, `/v1/docs/_/json?doc=.`.
 */
export const DOC_NAME_QUERY = "doc";
/** The path segment that stands for the name given by DOC_NAME_QUERY. */
export const DOC_NAME_PLACEHOLDER = "_";

const C0_END = 0x1f;
const DEL = 0x7f;
const C1_END = 0x9f;
const HIGH_SURROGATE = 0xd800;
const LOW_SURROGATE = 0xdc00;
const SURROGATE_END = 0xdfff;
const ONE_BYTE_END = 0x7f;
const TWO_BYTE_END = 0x7ff;

/** Why `name` is not a document name, or null when it is one. */
export function docNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "document name must be a string";
  if (name.length === 0) return "document name is empty";
  let bytes = 0;
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (unit <= C0_END || (unit >= DEL && unit <= C1_END))
      return `document name contains the control character U+${hex(unit)} at ${i}`;
    if (unit >= HIGH_SURROGATE && unit <= SURROGATE_END) {
      const next = name.charCodeAt(i + 1);
      if (unit >= LOW_SURROGATE || !(next >= LOW_SURROGATE && next <= SURROGATE_END))
        return `document name has a lone surrogate U+${hex(unit)} at ${i} (not valid Unicode)`;
      bytes += 4;
      i++;
    } else bytes += unit <= ONE_BYTE_END ? 1 : unit <= TWO_BYTE_END ? 2 : 3;
  }
  if (bytes > MAX_DOC_NAME_BYTES)
    return `document name is ${bytes} bytes of UTF-8; at most ${MAX_DOC_NAME_BYTES}`;
  return null;
}

function hex(unit: number): string {
  return unit.toString(16).toUpperCase().padStart(4, "0");
}

/** True for the two names no URL path can carry (see DOC_NAME_QUERY). */
export function isDotSegment(name: string): boolean {
  return name === "." || name === "..";
}

/**
 * Percent-decodes a raw path segment (or the rest of a path) into a name; null when the bytes
 * are not UTF-8 (`%FF`, a truncated sequence, an encoded surrogate): not a name.
 */
export function decodeDocNamePath(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/**
 * `name` in a URL: one path segment (`/` and every other reserved character percent-encoded),
 * and for `.` and `..` the placeholder plus a query pair (see DOC_NAME_QUERY).
 */
export function docNameInUrl(name: string): { segment: string; query: string } {
  if (isDotSegment(name))
    return {
      segment: DOC_NAME_PLACEHOLDER,
      query: `${DOC_NAME_QUERY}=${encodeURIComponent(name)}`,
    };
  return { segment: encodeURIComponent(name), query: "" };
}

/** The name in a URL that docNameInUrl built (its segment and query string, as built). */
export function docNameOfUrl(segment: string, query: string): string {
  if (segment === DOC_NAME_PLACEHOLDER) {
    for (const pair of query.split("&")) {
      const at = pair.indexOf("=");
      if (at !== -1 && pair.slice(0, at) === DOC_NAME_QUERY) {
        const value = pair.slice(at + 1);
        return decodeDocNamePath(value) ?? value;
      }
    }
  }
  return decodeDocNamePath(segment) ?? segment;
}
