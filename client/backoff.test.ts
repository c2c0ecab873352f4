import { describe, expect, it } from "vitest";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, BACKOFF_JITTER, backoffDelay } from "./backoff";

describe("backoffDelay", () => {
  it("doubles from the base and stops at the cap", () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffDelay(i, 0));
    expect(delays[0]).toBe(BACKOFF_BASE_MS);
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBe(Math.min(BACKOFF_CAP_MS, delays[i - 1]! * 2));
    }
    expect(delays.at(-1)).toBe(BACKOFF_CAP_MS);
  });

  it("removes up to the jitter fraction, never more", () => {
    expect(backoffDelay(3, 0.999_999)).toBe(
      Math.round(BACKOFF_BASE_MS * 8 * (1 - BACKOFF_JITTER * 0.999_999)),
    );
    for (let r = 0; r < 1; r += 0.05) {
      const d = backoffDelay(20, r);
      expect(d).toBeLessThanOrEqual(BACKOFF_CAP_MS);
      expect(d).toBeGreaterThanOrEqual(BACKOFF_CAP_MS * (1 - BACKOFF_JITTER));
    }
  });

  it("stays finite for huge attempt counts and honours options", () => {
    expect(backoffDelay(10_000, 0)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(2, 0.5, { baseMs: 10, capMs: 1000, jitter: 1 })).toBe(20);
  });
});
