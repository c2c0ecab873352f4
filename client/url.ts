// The connection URL: base + /<docId>, with the opt-in extensions (`ext=1`), the epoch we
// last saw (so the server can refuse a deleted-and-recreated document) and the token.
import { SyncError } from "./errors";

export type TokenSource = string | (() => string | Promise<string>) | undefined;

/** Builds the URL for one connection attempt; calls the token function afresh each time. */
export async function connectionUrl(
  base: string,
  docId: string,
  token: TokenSource,
  epoch: string | undefined,
  extra: Record<string, string> = {},
): Promise<string> {
  const params: Record<string, string> = { ...extra, ext: "1" };
  if (epoch) params.epoch = epoch;
  const value = typeof token === "function" ? await token() : token;
  if (typeof token === "function" && !value) throw new SyncError("token", "token function returned no token");
  if (value) params.token = value;
  // Built by hand: URLSearchParams is missing or partial in some React Native versions.
  const query = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return `${base.replace(/\/+$/, "")}/${encodeURIComponent(docId)}?${query.join("&")}`;
}
