// A mount's settings through the one config reader: options over the environment over the
// defaults, one knob for the message size (the /mux frame cap follows it; MUX_MAX_FRAME_BYTES still
// works), and a bad variable a clear 500 on the routes that read it, and nowhere else.
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../config/settings";
import { createEdgesync } from "./edgesync";
import { MUX_FRAME_OVERHEAD_BYTES } from "./mux/limits";
import { resolveSettings } from "./settings";

const MiB = 1024 * 1024;

describe("the /mux frame cap", () => {
  it("follows MAX_MESSAGE_BYTES, from the environment or the option", () => {
    expect(resolveSettings().muxLimits({}).maxFrameBytes).toBe(4 * MiB + MUX_FRAME_OVERHEAD_BYTES);
    const env = { MAX_MESSAGE_BYTES: String(8 * MiB) };
    expect(resolveSettings().muxLimits(env).maxFrameBytes).toBe(8 * MiB + MUX_FRAME_OVERHEAD_BYTES);
    const given = resolveSettings({ limits: { maxMessageBytes: MiB } });
    expect(given.muxLimits(env).maxFrameBytes).toBe(MiB + MUX_FRAME_OVERHEAD_BYTES);
    expect(given.maxMessageBytes(env)).toBe(MiB);
  });

  it("is what the configuration reference says it is", () => {
    expect(SETTINGS.MUX_MAX_FRAME_BYTES.defaultText).toBe(
      `MAX_MESSAGE_BYTES + ${MUX_FRAME_OVERHEAD_BYTES / 1024} KiB`,
    );
  });

  it("still takes the deprecated MUX_MAX_FRAME_BYTES and limits.mux.maxFrameBytes", () => {
    const env = { MAX_MESSAGE_BYTES: String(8 * MiB), MUX_MAX_FRAME_BYTES: "65536" };
    expect(resolveSettings().muxLimits(env).maxFrameBytes).toBe(65536);
    const given = resolveSettings({ limits: { mux: { maxFrameBytes: 1000 } } });
    expect(given.muxLimits(env)).toEqual({
      maxChannels: 1_000,
      maxQueuedBytes: MiB,
      maxFrameBytes: 1000,
    });
  });
});

describe("options over the environment", () => {
  it("takes each table's options first, and leaves a variable they override unread", () => {
    const env = { BATCH_SYNC_MAX_DOCS: "2.5", BATCH_SYNC_MAX_BYTES: "4096" };
    const settings = resolveSettings({ limits: { batch: { maxDocs: 3 } } });
    expect(settings.batchLimits(env)).toEqual({ maxDocs: 3, maxBytes: 4096 });
    expect(() => resolveSettings().batchLimits(env)).toThrow(
      'BATCH_SYNC_MAX_DOCS must be a positive integer, got "2.5"',
    );
  });

  it("refuses fractional and unknown options at construction", () => {
    expect(() => resolveSettings({ limits: { hocuspocus: { maxAttaches: 1.5 } } })).toThrow(
      "createEdgesync: limits.hocuspocus.maxAttaches must be a positive integer, got 1.5",
    );
    expect(() => resolveSettings({ limits: { mux: { maxChanels: 2 } } as never })).toThrow(
      "createEdgesync: unknown option limits.mux.maxChanels (known: maxChannels, maxQueuedBytes, maxFrameBytes)",
    );
  });

  it('reads ALLOWED_ORIGINS "" as unset (any origin)', () => {
    expect(resolveSettings().allowedOrigins({ ALLOWED_ORIGINS: "" })).toBe("*");
    expect(resolveSettings().allowedOrigins({ ALLOWED_ORIGINS: "https://a.example/, " })).toEqual([
      "https://a.example",
    ]);
  });
});

describe("a bad variable", () => {
  const app = createEdgesync({ auth: { openAccess: true } });
  const env = { BATCH_SYNC_MAX_DOCS: "2.5" };

  it("is a 500 naming it on the route that reads it", async () => {
    const res = await app.request(
      "https://example.test/v1/sync",
      { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" },
      env,
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_configuration",
        message: 'edgesync: BATCH_SYNC_MAX_DOCS must be a positive integer, got "2.5"',
      },
    });
  });

  it("breaks no other route", async () => {
    expect((await app.request("https://example.test/health", {}, env)).status).toBe(200);
    const spec = await app.request("https://example.test/v1/openapi.json", {}, env);
    expect(spec.status).toBe(200);
  });
});

describe("a bad authentication variable", () => {
  const app = createEdgesync();

  it("fails closed with 503 auth_not_configured naming it, and /health says unconfigured", async () => {
    const env = { DEV_OPEN_ACCESS: "yes" };
    const res = await app.request("https://example.test/v1/docs/notes-1", {}, env);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: {
        code: "auth_not_configured",
        message: 'auth configuration: DEV_OPEN_ACCESS must be true or false, got "yes"',
      },
    });
    const health = await app.request("https://example.test/health", {}, env);
    expect(await health.json()).toMatchObject({ ok: true, auth: "unconfigured" });
    const open = await app.request("https://example.test/health", {}, { DEV_OPEN_ACCESS: "true" });
    expect(await open.json()).toMatchObject({ auth: "open" });
  });
});
