import { describe, expect, it } from "vitest";
import { MAX_CLOSE_REASON_BYTES, truncateReason } from "./close-codes";

const utf8 = (s: string) => new TextEncoder().encode(s).length;
/** True when `s` survives a UTF-8 round trip: no lone surrogate (which would be sent as U+FFFD). */
const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s)) === s;

describe("truncateReason", () => {
  it("leaves a reason that fits alone, up to the last byte", () => {
    expect(truncateReason("token expired")).toBe("token expired");
    const full = "x".repeat(MAX_CLOSE_REASON_BYTES);
    expect(truncateReason(full)).toBe(full);
  });

  it("cuts a longer reason to the longest prefix that fits with an ellipsis", () => {
    const cut = truncateReason("x".repeat(MAX_CLOSE_REASON_BYTES + 1));
    expect(cut).toBe("x".repeat(MAX_CLOSE_REASON_BYTES - utf8("…")) + "…");
    expect(utf8(cut)).toBe(MAX_CLOSE_REASON_BYTES);
  });

  it.each([
    ["two-byte characters", "é".repeat(100)],
    ["three-byte characters", "€".repeat(60)],
    ["surrogate pairs after one ASCII byte", "a" + "😀".repeat(50)],
    ["surrogate pairs", "😀".repeat(50)],
  ])("cuts between code points: %s", (_, reason) => {
    const cut = truncateReason(reason);
    expect(utf8(cut)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(wellFormed(cut)).toBe(true);
    expect(cut.endsWith("…")).toBe(true);
    const kept = cut.slice(0, -1);
    expect(reason.startsWith(kept)).toBe(true);
    // The longest such prefix: one more code point would not fit.
    const next = [...reason.slice(kept.length)][0]!;
    expect(utf8(kept + next + "…")).toBeGreaterThan(MAX_CLOSE_REASON_BYTES);
  });
});
