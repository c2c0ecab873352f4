// Bounds of one /mux socket in the Worker relay; each is overridable through the Worker's
// environment (wrangler.toml [vars]) under the name in ENV.
import { countsFromEnv } from "../env-counts";

export interface MuxLimits {
  /**
   * Channels one socket may open over its life. Each open is one subrequest of the socket's
   * invocation (the app's `stub.fetch`), and Workers cap subrequests per invocation (50 Free,
   * 10,000 Paid as of 2026). Past it a channel is refused with CLOSED 4529; the SDK's next
   * shared socket starts a new budget.
   */
  maxChannels: number;
  /**
   * Bytes one socket may queue, all its channels together, while their documents' sockets are
   * still opening; past it the channel whose frame did not fit is CLOSED 4529.
   */
  maxQueuedBytes: number;
  /**
   * Largest frame on the shared socket; past it the socket closes with 1009. By default the
   * default MAX_MESSAGE_BYTES (4 MiB) plus MUX_FRAME_OVERHEAD_BYTES, so the relay refuses
   * nothing a direct socket would accept; raise it with MAX_MESSAGE_BYTES. (The Worker may not
   * read the Durable Object's config: worker/imports.test.ts.)
   */
  maxFrameBytes: number;
}

/** Room above MAX_MESSAGE_BYTES for the channel header and an OPEN frame's query (tokens). */
export const MUX_FRAME_OVERHEAD_BYTES = 16 * 1024;

export const DEFAULT_MUX_LIMITS: MuxLimits = {
  maxChannels: 1_000,
  maxQueuedBytes: 1024 * 1024,
  maxFrameBytes: 4 * 1024 * 1024 + MUX_FRAME_OVERHEAD_BYTES,
};

const ENV: Record<keyof MuxLimits, string> = {
  maxChannels: "MUX_MAX_CHANNELS",
  maxQueuedBytes: "MUX_MAX_QUEUED_BYTES",
  maxFrameBytes: "MUX_MAX_FRAME_BYTES",
};

/** The defaults, with any positive integer set in the environment instead. */
export function muxLimitsFromEnv(env: Record<string, unknown>): MuxLimits {
  return countsFromEnv(env, DEFAULT_MUX_LIMITS, ENV);
}
