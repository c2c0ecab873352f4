// Bounds of one /mux socket in the Worker relay; each is a setting of config/settings.ts
// (MUX_MAX_CHANNELS…) read by the one config reader, the options over the environment.
import { readTable } from "../../config/read";
import { MUX_TABLE } from "../../config/tables";

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
   * Largest frame on the shared socket; past it the socket closes with 1009. MAX_MESSAGE_BYTES
   * plus MUX_FRAME_OVERHEAD_BYTES, so the relay refuses nothing a direct socket would accept and
   * one knob sets both; MUX_MAX_FRAME_BYTES (deprecated) still overrides it.
   */
  maxFrameBytes: number;
}

/** Room above MAX_MESSAGE_BYTES for the channel header and an OPEN frame's query (tokens). */
export const MUX_FRAME_OVERHEAD_BYTES = 16 * 1024;

/**
 * The limits: `given` over the environment over the defaults; the frame cap follows
 * `maxMessageBytes` (the Worker's, MAX_MESSAGE_BYTES) unless set itself.
 */
export function muxLimitsFromEnv(
  env: Record<string, unknown>,
  given: Partial<MuxLimits>,
  maxMessageBytes: number,
): MuxLimits {
  const { maxFrameBytes, ...rest } = readTable(MUX_TABLE, env, given);
  return { ...rest, maxFrameBytes: maxFrameBytes ?? maxMessageBytes + MUX_FRAME_OVERHEAD_BYTES };
}
