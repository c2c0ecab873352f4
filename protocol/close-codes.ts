// WebSocket close codes used by edgesync, shared by the server and the client SDK.
// Two bands: 4400–4499 are permanent (do not retry as is), 4500–4599 transient (retry with backoff).

export const CloseCode = {
  /** Standard: a frame exceeded the maximum message size (or an awareness message its own cap). Permanent. */
  MessageTooBig: 1009,
  /** Malformed frame: bad varint, unknown message type, bytes that are not a Yjs update, stray text. */
  ProtocolError: 4400,
  /**
   * The token expired while the socket was open, or (to clients that connect with `?ext=1`) the
   * upgrade was refused for a missing or invalid token: reconnect only with a new token.
   */
  Unauthenticated: 4401,
  /**
   * The socket tried something its ownership does not allow (another socket's awareness, too
   * many awareness ids), or (with `?ext=1`) the upgrade was refused with 403.
   */
  Forbidden: 4403,
  /** The document was deleted while the socket was open. */
  DocumentDeleted: 4404,
  /**
   * The server is not set up: edgesync's D1 tables are missing (its migrations were never
   * applied). Permanent: retrying cannot help until an operator runs them.
   */
  NotMigrated: 4412,
  /** Applying the update would push the document over the configured size limit; it was not applied. */
  DocumentTooLarge: 4413,
  /** An unexpected server error; nothing from the failing frame was applied. Retry with backoff. */
  InternalError: 4500,
  /** The document could not be loaded from storage; nothing was served or written. Retry with backoff. */
  DocumentUnavailable: 4503,
  /** The socket exceeded its message or byte rate, its share of the document's budget, or its reply budget. Retry with backoff. */
  RateLimited: 4529,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Whether a close code means "do not reconnect as is". 1009 and the 44xx band are permanent. */
export function isPermanentClose(code: number): boolean {
  return code === CloseCode.MessageTooBig || (code >= 4400 && code <= 4499);
}

/** Whether a close code is in the transient band (reconnect with backoff). */
export function isTransientClose(code: number): boolean {
  return code >= 4500 && code <= 4599;
}

/** The longest close reason, in UTF-8 bytes, the WebSocket protocol allows (RFC 6455, 5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

const ELLIPSIS = "…";

/**
 * `reason` cut to fit a close frame (`close()` throws on a longer one), ending in "…" when cut.
 * Cuts between code points, never inside a surrogate pair.
 */
export function truncateReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).length <= MAX_CLOSE_REASON_BYTES) return reason;
  const budget = MAX_CLOSE_REASON_BYTES - encoder.encode(ELLIPSIS).length;
  let cut = "";
  let bytes = 0;
  for (const char of reason) {
    bytes += encoder.encode(char).length;
    if (bytes > budget) break;
    cut += char;
  }
  return cut + ELLIPSIS;
}
