// Six projects: workerd tests with token auth off (local dev mode), with small budgets, with HS256
// tokens, with an identity provider's tokens too, the example app that mounts edgesync/server
// (examples/embed-worker, its own wrangler.toml), and Node tests
// (pure unit tests beside modules, plus tests against the real server and real Chromium).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_AUTH_SECRET } from "./test/helpers/auth-secret";
import { JWT_TEST_AUDIENCE, JWT_TEST_ISSUER } from "./test/helpers/idp";
import { startJwksServer } from "./test/helpers/jwks-server";
import { SlowFirstSequencer } from "./test/helpers/slow-first";

const migrations = await readD1Migrations("./migrations");
// The identity provider of the workerd-idp project: its URL goes into the Worker's environment.
const jwks = await startJwksServer();

const workerd = (name: string, include: string[], bindings: Record<string, unknown>) => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // No log line per event (METRICS_LOG): a fuzz test would print one per refused socket.
      miniflare: { bindings: { TEST_MIGRATIONS: migrations, METRICS_LOG: "false", ...bindings } },
    }),
  ],
  test: { name, include, setupFiles: ["./test/helpers/workerd-setup.ts"] },
});

export default defineConfig({
  test: {
    // Most test files wait on a real server or a browser, not on the CPU (a full run used ~35% of
    // two cores with two workers), so more files run at once.
    maxWorkers: 4,
    // The longest files first, so the run does not end on one of them (test/helpers/slow-first.ts).
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      // MAX_DOC_BYTES: 8 MiB, so test/workerd/d1.test.ts reaches it with three 3 MB updates (the
      // memory budget raised to let it); MAX_DOC_ITEMS: small, so test/workerd/doc-items.test.ts
      // reaches it quickly.
      workerd("workerd", ["test/workerd/**/*.test.ts"], {
        DEV_OPEN_ACCESS: "true",
        RATE_LIMIT_MESSAGES: "500",
        COMPACT_LOG_ROWS: "20",
        MAX_DOC_BYTES: String(8 * 1024 * 1024),
        MAX_DOC_HEAP_BYTES: String(64 * 1024 * 1024),
        MAX_DOC_ITEMS: "20000",
      }),
      // Small budgets, so a test reaches them with a few hundred frames (workerd under vitest
      // handles a few hundred frames a second).
      workerd("workerd-limits", ["test/workerd-limits/**/*.test.ts"], {
        DEV_OPEN_ACCESS: "true",
        RATE_LIMIT_MESSAGES: "500",
        DOC_RATE_LIMIT_MESSAGES: "100",
        REPLY_BUDGET_BYTES: String(4 * 1024 * 1024),
        // A multi-MB document and awareness state to ask for again and again.
        MAX_DOC_BYTES: String(8 * 1024 * 1024),
        MAX_AWARENESS_BYTES: String(4 * 1024 * 1024),
      }),
      workerd("workerd-auth", ["test/workerd-auth/**/*.test.ts"], {
        AUTH_SECRET: TEST_AUTH_SECRET,
        ALLOWED_ORIGINS: "https://app.example.com, http://localhost:5173",
      }),
      // Tokens of an identity provider (RS256/ES256 against a JWKS on 127.0.0.1) beside HS256 ones;
      // a short refetch interval, so rotation is seen within a test.
      workerd("workerd-idp", ["test/workerd-idp/**/*.test.ts"], {
        AUTH_SECRET: TEST_AUTH_SECRET,
        JWKS_URL: `${jwks.url}/jwks.json`,
        JWT_ISSUER: JWT_TEST_ISSUER,
        JWT_AUDIENCE: JWT_TEST_AUDIENCE,
        JWT_DOC_CLAIM: "edgesync/docs",
        JWT_ROLE_CLAIM: "edgesync/role",
        JWT_DEFAULT_ROLE: "read",
        JWKS_MIN_REFRESH_MS: "2000",
      }),
      // The example Worker as its wrangler.toml declares it; its global setup links the package as
      // npm does, and `edgesync/server` resolves through the package's exports map to its source
      // entry (the `edgesync-source` condition), never to a dist/ another test may be rebuilding.
      {
        // Vitest runs test modules in Vite's ssr environment, so the condition goes there.
        ssr: { resolve: { conditions: ["edgesync-source"] } },
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./examples/embed-worker/wrangler.toml" },
            miniflare: {
              bindings: { TEST_MIGRATIONS: migrations, COLLAB_SECRET: "example-test-secret" },
            },
          }),
        ],
        test: {
          name: "example",
          include: ["examples/embed-worker/test/**/*.test.ts"],
          globalSetup: ["./examples/embed-worker/test/global-setup.ts"],
          setupFiles: ["./examples/embed-worker/test/setup.ts"],
        },
      },
      {
        test: {
          name: "node",
          include: [
            "protocol/**/*.test.ts",
            "client/**/*.test.ts",
            "durable-objects/**/*.test.ts",
            "worker/**/*.test.ts",
            "config/**/*.test.ts",
            "tokens/**/*.test.ts",
            "test/server/**/*.test.ts",
            "test/client/**/*.test.ts",
            "test/browser/**/*.test.ts",
            "test/hocuspocus/**/*.test.ts",
            "test/package/**/*.test.ts",
            "test/docs/**/*.test.ts",
          ],
          environment: "node",
          // Two servers shared by the files that need nothing of their own (the open one and one
          // with tokens), and the demo page's bundle, built once.
          globalSetup: ["./test/helpers/shared-servers.global.ts"],
          testTimeout: 120_000,
          // Setup hooks boot servers (a companion Worker's too), each up to START_TIMEOUT_MS.
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
