// Applies edgesync's D1 migrations to the example's database (APP_DB) before its tests.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

const bindings = env as unknown as {
  APP_DB: D1Database;
  TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1];
};
await applyD1Migrations(bindings.APP_DB, bindings.TEST_MIGRATIONS);
