// Reconnect delays: exponential growth from a base, capped, with jitter so that many clients
// dropped at once (a deploy, a DO restart) do not reconnect in lockstep.

/** First reconnect delay. */
export const BACKOFF_BASE_MS = 250;
/** Longest delay between reconnect attempts. */
export const BACKOFF_CAP_MS = 30_000;
/** Fraction of each delay that is randomised away (0 = none, 1 = anywhere in [0, delay]). */
export const BACKOFF_JITTER = 0.5;

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  jitter?: number;
}

/**
 * The delay before reconnect attempt number `attempt` (0-based): min(cap, base·2^attempt),
 * reduced by up to `jitter` of itself. `random` is in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  random: number,
  options: BackoffOptions = {},
): number {
  const base = options.baseMs ?? BACKOFF_BASE_MS;
  const cap = options.capMs ?? BACKOFF_CAP_MS;
  const jitter = options.jitter ?? BACKOFF_JITTER;
  // 2^attempt overflows to Infinity for large attempts; min() keeps it at the cap.
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 52));
  return Math.round(ceiling * (1 - jitter * random));
}
