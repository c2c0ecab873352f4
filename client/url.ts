// The connection URL: base + /<docId> (percent-encoded; see protocol/doc-name.ts), with the opt-in extensions (`ext=1`), the epoch we
// last saw (so the server can refuse a deleted-and-recreated document) and the token.
import { CloseCode } from "../protocol/close-codes";
import { docNameInUrl } from "../protocol/doc-name";
import { SyncError } from "./errors";

export type TokenSource = string | (() => string | Promise<string>) | undefined;

/** The token for each connection attempt: the static one, or the function's answer afresh. */
export class Tokens {
  private sent: string | undefined;
  private refused: string | undefined;

  constructor(private readonly source: TokenSource) {}

  /** Whether asking again can fix a refusal (there is a function to ask). */
  get renewable(): boolean {
    return typeof this.source === "function";
  }

  /** The token to send next; throws a `token` SyncError instead of one the server just refused. */
  async next(): Promise<string | undefined> {
    const value = typeof this.source === "function" ? await this.source() : this.source;
    if (typeof this.source === "function" && !value)
      throw new SyncError("token", "token function returned no token");
    if (value && value === this.refused) {
      throw new SyncError(
        "token",
        "the token function returned the token the server just refused",
        CloseCode.Unauthenticated,
      );
    }
    this.sent = value || undefined;
    return this.sent;
  }

  /** The server refused the token last sent (4401). */
  refuse(): void {
    this.refused = this.sent;
  }
}

/** Builds the URL for one connection attempt. */
export function connectionUrl(
  base: string,
  docId: string,
  token: string | undefined,
  epoch: string | undefined,
  extra: Record<string, string> = {},
): string {
  const name = docNameInUrl(docId);
  const params: Record<string, string> = { ...extra, ext: "1" };
  if (epoch) params.epoch = epoch;
  if (token) params.token = token;
  // Built by hand: URLSearchParams is missing or partial in some React Native versions.
  const query = Object.entries(params).map(
    ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
  );
  if (name.query) query.push(name.query);
  return `${base.replace(/\/+$/, "")}/${name.segment}?${query.join("&")}`;
}
