// The configuration reference (docs/configuration.md) rendered from the table: one row per setting
// with its variable, the options that give it in code, kind, default, bounds and doc line.
// reference.test.ts holds the document equal to this.
import { SETTINGS, type Setting, type SettingName } from "./settings";
import { TABLES } from "./tables";

const KiB = 1024;
const MiB = 1024 * KiB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** `n` with thousands separated (10,000). */
const grouped = (n: number) => n.toLocaleString("en-US");

function amount(n: number, units: [size: number, name: string][], base: string): string {
  for (const [size, name] of units) if (n >= size && n % size === 0) return `${n / size} ${name}`;
  return `${grouped(n)} ${base}`;
}

/** A setting's default as the reference shows it. */
export function shownDefault(setting: Setting): string {
  switch (setting.kind) {
    case "bool":
      return `\`${setting.default}\``;
    case "string":
      return setting.default === undefined ? "unset" : `\`${setting.default}\``;
    case "list":
      return setting.default.length ? `\`${setting.default.join(", ")}\`` : "unset";
    default:
      if (setting.default === undefined) return setting.defaultText ?? "unset";
      if (setting.kind === "bytes")
        return amount(
          setting.default,
          [
            [MiB, "MiB"],
            [KiB, "KiB"],
          ],
          "bytes",
        );
      if (setting.kind === "ms")
        return amount(
          setting.default,
          [
            [MINUTE, "min"],
            [SECOND, "s"],
          ],
          "ms",
        );
      return grouped(setting.default);
  }
}

function bounds(setting: Setting): string {
  if (setting.kind === "bool" || setting.kind === "string" || setting.kind === "list") return "";
  return setting.max === Number.MAX_SAFE_INTEGER
    ? `≥ ${setting.min}`
    : `${setting.min}–${setting.max}`;
}

/** Where `name` is given in code: `createEdgesync: limits.batch.maxDocs`, … */
function optionsOf(name: SettingName): string {
  const places = TABLES.flatMap(({ table, option }) =>
    Object.entries(table)
      .filter(([, setting]) => setting === name)
      .map(([key]) => {
        const [factory, path] = option.split(": ");
        return `${factory} \`${path ? `${path}.${key}` : key}\``;
      }),
  );
  return places.join(", ");
}

/** The reference table, in the order of the settings table. */
export function renderReference(): string {
  const rows = (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const setting: Setting = SETTINGS[name];
    const cells = [
      `\`${name}\``,
      optionsOf(name),
      setting.kind,
      shownDefault(setting),
      bounds(setting),
      setting.doc,
    ];
    return `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  });
  return [
    "| variable | option | kind | default | bounds | what it sets |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
