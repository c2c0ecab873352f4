import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "./base64";

describe("base64", () => {
  it("matches Node's encoding and round-trips every length and byte", () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length * 31) & 255);
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64"));
      expect(fromBase64(text)).toEqual(bytes);
    }
  });

  it("rejects text that is not base64", () => {
    expect(() => fromBase64("abc")).toThrow();
    expect(() => fromBase64("ab!=")).toThrow();
  });
});
