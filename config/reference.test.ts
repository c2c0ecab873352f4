// docs/configuration.md lists exactly the settings of the table, with their defaults: its table
// between the markers is the one renderReference() makes from config/settings.ts. After changing a
// setting, regenerate it: UPDATE_CONFIG_DOC=1 npx vitest run --project node config/reference.test.ts
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderReference, shownDefault } from "./reference";
import { SETTINGS, type SettingName } from "./settings";

const DOC = join(dirname(dirname(fileURLToPath(import.meta.url))), "docs", "configuration.md");
const BEGIN = "<!-- settings: generated from config/settings.ts (config/reference.test.ts) -->";
const END = "<!-- end of settings -->";

/** The document's generated part (between the markers), and the text around it. */
function parts(text: string) {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} lacks the markers ${BEGIN} … ${END}`);
  return { before: text.slice(0, start), table: text.slice(start + BEGIN.length, end).trim() };
}

describe("docs/configuration.md", () => {
  if (process.env.UPDATE_CONFIG_DOC) {
    const text = readFileSync(DOC, "utf8");
    const { before } = parts(text);
    const after = text.slice(text.indexOf(END));
    writeFileSync(DOC, `${before}${BEGIN}\n\n${renderReference()}\n\n${after}`);
  }
  const { table } = parts(readFileSync(DOC, "utf8"));

  it("holds the table generated from config/settings.ts", () => {
    expect(table).toBe(renderReference());
  });

  it("has one row per setting, each with its default", () => {
    const rows = table.split("\n").slice(2);
    const listed = rows.map((row) => /^\| `([A-Z0-9_]+)` \|/.exec(row)?.[1]);
    expect(listed).toEqual(Object.keys(SETTINGS));
    for (const [i, name] of (Object.keys(SETTINGS) as SettingName[]).entries())
      expect(rows[i]!.split(" | ")[3]).toBe(shownDefault(SETTINGS[name]));
  });

  it("shows defaults as an operator writes them", () => {
    expect(shownDefault(SETTINGS.MAX_MESSAGE_BYTES)).toBe("4 MiB");
    expect(shownDefault(SETTINGS.MAX_AWARENESS_BYTES)).toBe("64 KiB");
    expect(shownDefault(SETTINGS.REPLY_BUDGET_REFILL_MS)).toBe("10 min");
    expect(shownDefault(SETTINGS.BATCH_MAX_WAIT_MS)).toBe("5 ms");
    expect(shownDefault(SETTINGS.RATE_LIMIT_MESSAGES)).toBe("10,000");
    expect(shownDefault(SETTINGS.MUX_MAX_FRAME_BYTES)).toBe("MAX_MESSAGE_BYTES + 16 KiB");
  });
});
