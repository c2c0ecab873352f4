// The one error type the client SDK emits and rejects with, discriminated by `code`, so apps
// can switch on what went wrong instead of parsing messages.

export type SyncErrorCode =
  /** The server closed with a permanent code (44xx other than 4401/4404, or 1009): not retried. */
  | "closed"
  /** The server said the document was deleted (4404); local state was dropped. */
  | "deleted"
  /**
   * The server refused the token (4401) and retrying cannot help: a static token (or none)
   * stops the provider; a token function that returns the refused token is asked again after
   * a backoff. Also: the token function threw or returned nothing (retried with backoff).
   */
  | "token"
  /** The server refused a write (read-only token); the change stays local. */
  | "permission-denied"
  /** The offline store failed; syncing continues without it. */
  | "storage"
  /** The server sent a frame the client could not decode. */
  | "protocol"
  /**
   * The document name is not one (empty, a control character, over MAX_DOC_NAME_BYTES): the
   * provider stops before dialling, since no retry can fix it.
   */
  | "invalid-doc-id"
  /** The provider was destroyed before the awaited condition held. */
  | "destroyed";

export class SyncError extends Error {
  override name = "SyncError";
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    /** The WebSocket close code, when the error came from a close. */
    readonly closeCode?: number,
  ) {
    super(message);
  }
}
