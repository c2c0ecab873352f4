// The document-name rule: any non-empty Unicode text up to MAX_DOC_NAME_BYTES of UTF-8, no
// control characters; and how a name travels in a URL and back.
import { describe, expect, it } from "vitest";
import {
  DOC_NAME_PLACEHOLDER,
  MAX_DOC_NAME_BYTES,
  decodeDocNamePath,
  docNameInUrl,
  docNameOfUrl,
  docNameProblem,
} from "./doc-name";
import { NAMES_APPS_USE as NAMES } from "../test/helpers/doc-names";

describe("docNameProblem", () => {
  it.each(NAMES)("accepts %s", (name) => expect(docNameProblem(name)).toBeNull());

  it("accepts spaces at either end, percent signs, `?`, `#` and non-characters as given", () => {
    for (const name of [" padded ", "100%", "%2F", "a?b#c", "\uFFFE", "\u200B", "a+b", "_"])
      expect(docNameProblem(name), name).toBeNull();
  });

  it("refuses what is not a non-empty string", () => {
    expect(docNameProblem("")).toMatch(/empty/);
    expect(docNameProblem(undefined)).toMatch(/string/);
    expect(docNameProblem(42)).toMatch(/string/);
  });

  it.each([
    ["NUL", "a\u0000b"],
    ["tab", "a\tb"],
    ["newline", "a\nb"],
    ["unit separator", "a\u001Fb"],
    ["DEL", "a\u007Fb"],
    ["C1 NEL", "a\u0085b"],
    ["C1 end", "a\u009Fb"],
  ])("refuses a control character (%s)", (_, name) => {
    expect(docNameProblem(name)).toMatch(/control character U\+00[0-9A-F]{2} at 1/);
  });

  it("refuses lone surrogates, which UTF-8 cannot encode", () => {
    for (const name of ["a\uD800", "\uDC00b", "\uD83D\uD83D", "x\uDFFFy"])
      expect(docNameProblem(name), JSON.stringify(name)).toMatch(/lone surrogate/);
    expect(docNameProblem("\uD83C\uDF1F")).toBeNull(); // 🌟, a proper pair
  });

  it("counts the limit in UTF-8 bytes, not characters", () => {
    expect(docNameProblem("x".repeat(MAX_DOC_NAME_BYTES))).toBeNull();
    expect(docNameProblem("x".repeat(MAX_DOC_NAME_BYTES + 1))).toMatch(/1025 bytes/);
    // ä is 2 bytes, 漢 3, 🌟 4: each exactly at the limit, then one byte over.
    for (const [char, bytes] of [
      ["ä", 2],
      ["漢", 3],
      ["🌟", 4],
    ] as const) {
      const atLimit =
        char.repeat(MAX_DOC_NAME_BYTES / bytes) + "x".repeat(MAX_DOC_NAME_BYTES % bytes);
      expect(new TextEncoder().encode(atLimit).length).toBe(MAX_DOC_NAME_BYTES);
      expect(docNameProblem(atLimit), char).toBeNull();
      expect(docNameProblem(atLimit + "x"), char).toMatch(/bytes of UTF-8/);
    }
    expect(MAX_DOC_NAME_BYTES).toBeGreaterThanOrEqual(256);
  });
});

describe("names in URLs", () => {
  it.each(NAMES)("%s goes into one path segment and back, or as ?doc= where it cannot", (name) => {
    const { segment, query } = docNameInUrl(name);
    expect(segment).not.toContain("/");
    // What a WHATWG URL parser (browsers, fetch, ws) keeps of it.
    const url = new URL(`http://x/sync/${segment}?${query}`);
    const kept = url.pathname.slice("/sync/".length);
    if (query) {
      expect(kept).toBe(DOC_NAME_PLACEHOLDER);
      expect(url.searchParams.get("doc")).toBe(name);
    } else expect(decodeDocNamePath(kept)).toBe(name);
    expect(docNameOfUrl(segment, ["ext=1", query, "token=t"].filter(Boolean).join("&"))).toBe(name);
  });

  it("refuses percent-encoded bytes that are not UTF-8 rather than guessing", () => {
    for (const raw of ["%FF", "%E6%BC", "%ED%A0%80", "%zz", "%"])
      expect(decodeDocNamePath(raw), raw).toBeNull();
    expect(decodeDocNamePath("a%2Fb%20c")).toBe("a/b c");
    expect(decodeDocNamePath("a+b")).toBe("a+b"); // a plus sign in a path is a plus sign
  });
});
