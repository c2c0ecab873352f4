// The one reader's rules, the same for every setting: whole numbers only, "" is unset, bounds,
// unknown options refused, options over the environment over the defaults.
import { describe, expect, it } from "vitest";
import { ConfigError, checkOption, checkOptions, defaultsOf, parseEnv, readTable } from "./read";
import { SETTINGS, type Setting, type SettingName } from "./settings";
import { AGENT_TABLE, BATCH_TABLE, ROOM_TABLE, TABLES } from "./tables";

const names = Object.keys(SETTINGS) as SettingName[];

describe("parseEnv", () => {
  it.each(["1.5", "0.5", "1e3", "0x10", "12abc", "-1", "+3", "Infinity", "NaN", "1 000"])(
    "refuses %j for a count, naming the variable",
    (raw) => {
      expect(() => parseEnv("MAX_DOC_BYTES", raw)).toThrow(ConfigError);
      expect(() => parseEnv("MAX_DOC_BYTES", raw)).toThrow(
        `MAX_DOC_BYTES must be a positive integer (bytes), got ${JSON.stringify(raw)}`,
      );
    },
  );

  it("refuses fractions everywhere integers are meant, even as JSON numbers", () => {
    for (const name of names)
      if (!["bool", "string", "list"].includes(SETTINGS[name].kind)) {
        expect(() => parseEnv(name, "2.5"), name).toThrow(name);
        expect(() => parseEnv(name, 2.5), name).toThrow(name);
      }
  });

  it('reads "" and blanks as unset: the default, for every setting', () => {
    for (const name of names) {
      const setting: Setting = SETTINGS[name];
      const expected = setting.kind === "list" ? [...setting.default] : setting.default;
      expect(parseEnv(name, ""), name).toEqual(expected);
      expect(parseEnv(name, "  "), name).toEqual(expected);
      expect(parseEnv(name, undefined), name).toEqual(expected);
    }
    expect(parseEnv("ACTIVITY_MAX_ROWS", "")).toBe(500); // it used to throw on ""
    expect(parseEnv("AGENT_LEASE_MS", " 2000 ")).toBe(2000);
  });

  it("holds bounds, inclusive", () => {
    expect(() => parseEnv("RATE_LIMIT_MESSAGES", "0")).toThrow(
      'RATE_LIMIT_MESSAGES must be a positive integer, got "0"',
    );
    expect(parseEnv("RATE_LIMIT_MESSAGES", "1")).toBe(1);
    expect(parseEnv("JWT_CLOCK_SKEW_SECONDS", "0")).toBe(0);
    expect(parseEnv("JWT_CLOCK_SKEW_SECONDS", "300")).toBe(300);
    expect(() => parseEnv("JWT_CLOCK_SKEW_SECONDS", "301")).toThrow(
      'JWT_CLOCK_SKEW_SECONDS must be an integer from 0 to 300, got "301"',
    );
    expect(parseEnv("JWKS_MIN_REFRESH_MS", "0")).toBe(0);
    expect(() => parseEnv("MAX_DOC_ITEMS", String(2 ** 53))).toThrow("MAX_DOC_ITEMS");
  });

  it("takes JSON vars' numbers, booleans and arrays", () => {
    expect(parseEnv("MAX_DOC_BYTES", 1e9)).toBe(1e9);
    expect(parseEnv("DEV_OPEN_ACCESS", true)).toBe(true);
    expect(parseEnv("ALLOWED_ORIGINS", ["https://a.example"])).toEqual(["https://a.example"]);
  });

  it("reads booleans as true or false only", () => {
    expect(parseEnv("DEV_OPEN_ACCESS", "true")).toBe(true);
    expect(parseEnv("DEV_OPEN_ACCESS", "false")).toBe(false);
    for (const raw of ["yes", "1", "TRUE "])
      expect(() => parseEnv("DEV_OPEN_ACCESS", raw)).toThrow(
        "DEV_OPEN_ACCESS must be true or false",
      );
  });

  it("splits lists on commas, trims, drops empties; trims strings but never a secret", () => {
    expect(parseEnv("JWT_ISSUER", " https://a/ , https://b/,, ")).toEqual([
      "https://a/",
      "https://b/",
    ]);
    expect(parseEnv("JWKS_URL", " https://idp/jwks ")).toBe("https://idp/jwks");
    expect(parseEnv("AUTH_SECRET", " s3cret ")).toBe(" s3cret ");
    expect(() => parseEnv("AUTH_SECRET", 42)).toThrow("AUTH_SECRET must be a string, got a value");
  });
});

describe("options", () => {
  it("are checked by the same rules, naming the option", () => {
    expect(() => checkOption("limits.maxDocBytes", "MAX_DOC_BYTES", 1.5)).toThrow(
      "limits.maxDocBytes must be a positive integer (bytes), got 1.5",
    );
    expect(() => checkOption("limits.maxDocBytes", "MAX_DOC_BYTES", "1024")).toThrow(ConfigError);
    expect(() => checkOption("auth.jwt.clockSkewSeconds", "JWT_CLOCK_SKEW_SECONDS", 301)).toThrow(
      "auth.jwt.clockSkewSeconds must be an integer from 0 to 300, got 301",
    );
    expect(checkOption("limits.maxDocBytes", "MAX_DOC_BYTES", undefined)).toBeUndefined();
    expect(checkOption("agents.leaseMs", "AGENT_LEASE_MS", 1)).toBe(1);
  });

  it("refuse unknown keys and non-objects", () => {
    expect(() => checkOptions("limits", ROOM_TABLE, { maxDocBytez: 1 })).toThrow(
      /^unknown option limits\.maxDocBytez \(known: maxMessageBytes, maxDocBytes/,
    );
    expect(() => checkOptions("agents", AGENT_TABLE, 5)).toThrow("agents must be an object");
    expect(() => checkOptions("limits.batch", BATCH_TABLE, { maxDocs: 0 })).toThrow(
      "limits.batch.maxDocs must be a positive integer, got 0",
    );
    expect(checkOptions("limits.batch", BATCH_TABLE, { maxDocs: 3 })).toEqual({ maxDocs: 3 });
  });
});

describe("readTable", () => {
  it("takes options over the environment over the defaults", () => {
    const env = { BATCH_SYNC_MAX_DOCS: "7", BATCH_SYNC_MAX_BYTES: "9" };
    expect(readTable(BATCH_TABLE, env)).toEqual({ maxDocs: 7, maxBytes: 9 });
    expect(readTable(BATCH_TABLE, env, { maxBytes: 11 })).toEqual({ maxDocs: 7, maxBytes: 11 });
    expect(readTable(BATCH_TABLE, {})).toEqual(defaultsOf(BATCH_TABLE));
    expect(defaultsOf(BATCH_TABLE)).toEqual({ maxDocs: 200, maxBytes: 8 * 1024 * 1024 });
  });

  it("does not read a variable an option overrides, and names a bad one it reads", () => {
    const env = { BATCH_SYNC_MAX_DOCS: "2.5" };
    expect(readTable(BATCH_TABLE, env, { maxDocs: 3 }).maxDocs).toBe(3);
    expect(() => readTable(BATCH_TABLE, env)).toThrow("BATCH_SYNC_MAX_DOCS");
  });
});

describe("the table", () => {
  it("gives every number setting a default within its bounds", () => {
    for (const name of names) {
      const setting: Setting = SETTINGS[name];
      if (setting.kind === "bool" || setting.kind === "string" || setting.kind === "list") continue;
      if (setting.default === undefined) expect(setting.defaultText, name).toBeTruthy();
      else expect(() => parseEnv(name, String(setting.default)), name).not.toThrow();
    }
  });

  it("has every setting read by some table, under one option each", () => {
    const read = new Set(TABLES.flatMap(({ table }) => Object.values(table)));
    expect([...read].sort()).toEqual([...names].sort());
  });
});
