// The one reader of settings (settings.ts): an environment value or an option given in code, checked
// by its setting's kind and bounds with the same rules everywhere. Unset, "" or blanks mean the
// default; numbers are whole (digits only), within bounds; a bad value is a ConfigError naming it.
import {
  SETTINGS,
  type NumberSetting,
  type Setting,
  type SettingName,
  type Table,
  type ValueOf,
  type Values,
} from "./settings";

/** A setting with a value it cannot take; `setting` names the variable or the option. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

type Value<N extends SettingName> = ValueOf<(typeof SETTINGS)[N]>;

/** Digits only: no sign, fraction, exponent or hex (`Number` would take "1.5", "1e3", "0x10"). */
const WHOLE = /^[0-9]+$/;

/** What a number setting must be, for its errors. */
export function numberRule(setting: NumberSetting): string {
  const unit =
    setting.kind === "bytes" ? " (bytes)" : setting.kind === "ms" ? " (milliseconds)" : "";
  if (setting.max !== Number.MAX_SAFE_INTEGER)
    return `an integer from ${setting.min} to ${setting.max}${unit}`;
  return (setting.min === 1 ? "a positive integer" : `an integer ≥ ${setting.min}`) + unit;
}

const RULES = {
  bool: "true or false",
  string: "a string",
  list: "a list of strings",
} as const;
const ruleOf = (setting: Setting) =>
  setting.kind === "bool" || setting.kind === "string" || setting.kind === "list"
    ? RULES[setting.kind]
    : numberRule(setting);

function fail(name: string, where: string, setting: Setting, raw: unknown): never {
  const shown = setting.kind === "string" && setting.secret ? "a value" : JSON.stringify(raw);
  throw new ConfigError(name, `${where} must be ${ruleOf(setting)}, got ${shown}`);
}

function inBounds(setting: NumberSetting, value: number): boolean {
  return Number.isSafeInteger(value) && value >= setting.min && value <= setting.max;
}

function defaultOf(setting: Setting): unknown {
  return setting.kind === "list" ? [...setting.default] : setting.default;
}

/**
 * The value of variable `name` given `raw` (a string from [vars] or a secret; JSON vars may be
 * numbers, booleans or arrays). Unset or blank: the default.
 */
export function parseEnv<N extends SettingName>(name: N, raw: unknown): Value<N> {
  const setting: Setting = SETTINGS[name];
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === ""))
    return defaultOf(setting) as Value<N>;
  const text = typeof raw === "string" ? raw.trim() : null;
  switch (setting.kind) {
    case "bool":
      if (raw === true || text === "true") return true as Value<N>;
      if (raw === false || text === "false") return false as Value<N>;
      return fail(name, name, setting, raw);
    case "string":
      if (typeof raw !== "string") return fail(name, name, setting, raw);
      return (setting.secret ? raw : text) as Value<N>;
    case "list": {
      const items = Array.isArray(raw) ? raw : text?.split(",");
      if (!items?.every((item) => typeof item === "string")) return fail(name, name, setting, raw);
      return items.map((item) => item.trim()).filter(Boolean) as Value<N>;
    }
    default: {
      const value = typeof raw === "number" ? raw : text !== null && WHOLE.test(text) ? +text : NaN;
      if (!inBounds(setting, value)) return fail(name, name, setting, raw);
      return value as Value<N>;
    }
  }
}

/** Checks `value`, given in code as option `where` for setting `name` (undefined: not given). */
export function checkOption<N extends SettingName>(
  where: string,
  name: N,
  value: unknown,
): Value<N> | undefined {
  if (value === undefined) return undefined;
  const setting: Setting = SETTINGS[name];
  const ok =
    setting.kind === "bool"
      ? typeof value === "boolean"
      : setting.kind === "string"
        ? typeof value === "string"
        : setting.kind === "list"
          ? Array.isArray(value) && value.every((item) => typeof item === "string")
          : typeof value === "number" && inBounds(setting, value);
  if (!ok) fail(where, where, setting, value);
  return value as Value<N>;
}

/**
 * Checks the options given in code for `table` as option `where` (an object of its keys, each by
 * its setting's rules) and returns them; throws ConfigError naming the first bad one.
 */
export function checkOptions<T extends Table>(
  where: string,
  table: T,
  options: unknown,
): Partial<Values<T>> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw new ConfigError(where, `${where} must be an object`);
  const known = Object.keys(table);
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new ConfigError(
        `${where}.${key}`,
        `unknown option ${where}.${key} (known: ${known.join(", ")})`,
      );
  for (const key of known)
    checkOption(`${where}.${key}`, table[key]!, (options as Record<string, unknown>)[key]);
  return options as Partial<Values<T>>;
}

/**
 * `table`'s values: each from `given` (options, checked by checkOptions) when there, else from the
 * environment, else the default. A variable an option overrides is not read.
 */
export function readTable<T extends Table>(
  table: T,
  env: Record<string, unknown>,
  given: Partial<Values<T>> = {},
): Values<T> {
  const values: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(table))
    values[key] = given[key] !== undefined ? given[key] : parseEnv(name, env[name]);
  return values as Values<T>;
}

/** `table`'s defaults. */
export const defaultsOf = <T extends Table>(table: T): Values<T> => readTable(table, {});
