// Worker-side caps read from the environment (wrangler.toml [vars]): each a positive integer under
// its variable's name, else its default. One reader for the relays' and the batch route's tables.

/**
 * `defaults`, with every key whose variable (`names[key]`) is set in `env` taken from there.
 * A set value that is not a positive integer throws, naming the variable.
 */
export function countsFromEnv<T extends { [K in keyof T]: number }>(
  env: Record<string, unknown>,
  defaults: T,
  names: Record<keyof T, string>,
): T {
  const counts = { ...defaults };
  for (const key of Object.keys(names) as (keyof T & string)[]) {
    const raw = env[names[key]];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${names[key]} must be a positive integer, got ${JSON.stringify(raw)}`);
    (counts as Record<string, number>)[key] = value;
  }
  return counts;
}
