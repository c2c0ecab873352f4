// What an edgesync mount is configured with: the options given to `createEdgesync` checked once
// at construction, with the Worker's environment filling whatever they leave out, read per request
// (bindings and vars live on `env`, which a Worker only sees then). Routes ask `settingsOf(c)`.
import type { Context } from "hono";
import { checkOptions, ConfigError, parseEnv, readTable } from "../config/read";
import { AUTH_TABLE, BATCH_TABLE, MESSAGE_TABLE, MUX_TABLE, RELAY_TABLE } from "../config/tables";
import type { AdminRpc, DocumentRpc } from "../durable-objects/contract";
import type { AppEnv } from "./app";

// `c.get("settings")`: declared here, where Settings lives, so app.ts imports nothing back.
declare module "./app" {
  interface AppVariables {
    settings?: Settings;
  }
}
import { jwksConfigured } from "./auth/config";
import { authFromEnv, createAuth, type Auth, type AuthOptions } from "./auth/create-auth";
import { batchLimitsFromEnv, type BatchLimits } from "./batch-limits";
import { ApiError } from "./errors";
import { relayLimitsFromEnv, type RelayLimits } from "./hocuspocus/limits";
import { muxLimitsFromEnv, type MuxLimits } from "./mux/limits";

/** Binding names the repository's wrangler.toml uses. */
export const DEFAULT_BINDINGS = { documents: "DOCUMENTS", db: "DB" } as const;

export interface EdgesyncOptions {
  /** An Auth from `createAuth`, or its options. Default: from the environment (AUTH_SECRET, JWKS_URL…). */
  auth?: Auth | AuthOptions;
  /** Origins browsers may call from; `"*"` any. Default: ALLOWED_ORIGINS. */
  allowedOrigins?: "*" | string[];
  /**
   * Overrides of the Worker-side caps; the rest come from the environment, then the defaults. The
   * Durable Object applies its own limits (createDocumentObject, or the same variables).
   */
  limits?: {
    /** Largest body of a single-document write or sync (MAX_MESSAGE_BYTES). */
    maxMessageBytes?: number;
    /** POST /v1/sync (BATCH_SYNC_MAX_DOCS, BATCH_SYNC_MAX_BYTES). */
    batch?: Partial<BatchLimits>;
    /** GET /hocuspocus (HOCUSPOCUS_MAX_ATTACHES, …_PENDING_DOCUMENTS, …_PENDING_BYTES). */
    hocuspocus?: Partial<RelayLimits>;
    /**
     * GET /mux (MUX_MAX_CHANNELS, MUX_MAX_QUEUED_BYTES). The frame cap follows maxMessageBytes;
     * `maxFrameBytes` (MUX_MAX_FRAME_BYTES) is deprecated.
     */
    mux?: Partial<MuxLimits>;
  };
  /** Names of the bindings in your wrangler.toml. Default: DOCUMENTS and DB. */
  bindings?: { documents?: string; db?: string };
  /** Serve every route under this path (e.g. `/collab`); or mount the app with `app.route`. */
  basePath?: string;
}

/**
 * The document objects' namespace, typed by the contract: a stub must offer every DocumentRpc
 * method as RPC delivers it (the class implements DocumentRpc), so no RPC result is cast.
 */
export type DocumentNamespace = DurableObjectNamespace<
  DocumentRpc & AdminRpc & Rpc.DurableObjectBranded
>;

/** A mount's settings: fixed options, and the environment's values for the rest. */
export interface Settings {
  auth(env: Record<string, unknown>): Auth;
  /** What GET /health reports: tokens checked, open (local development), or nothing configured. */
  authMode(env: Record<string, unknown>): "token" | "open" | "unconfigured";
  allowedOrigins(env: Record<string, unknown>): "*" | string[];
  maxMessageBytes(env: Record<string, unknown>): number;
  batchLimits(env: Record<string, unknown>): BatchLimits;
  relayLimits(env: Record<string, unknown>): RelayLimits;
  muxLimits(env: Record<string, unknown>): MuxLimits;
  documents(env: Record<string, unknown>): DocumentNamespace;
  db(env: Record<string, unknown>): D1Database;
}

const OPTION_KEYS = ["auth", "allowedOrigins", "limits", "bindings", "basePath"];
const LIMIT_KEYS = ["maxMessageBytes", "batch", "hocuspocus", "mux"];
/** A binding name as wrangler accepts it (a JavaScript identifier). */
const BINDING_NAME = /^[A-Za-z_$][\w$]*$/;

const fail = (message: string): never => {
  throw new Error(`createEdgesync: ${message}`);
};

function checkKeys(where: string, value: unknown, allowed: string[]): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(`${where} must be an object`);
  for (const key of Object.keys(value as object))
    if (!allowed.includes(key))
      fail(`unknown option ${where}.${key} (known: ${allowed.join(", ")})`);
}

/** checkOptions, its ConfigError said as createEdgesync's. */
function checked<T extends Parameters<typeof checkOptions>[1]>(
  where: string,
  table: T,
  value: unknown,
) {
  try {
    return checkOptions(where, table, value);
  } catch (err) {
    return fail((err as ConfigError).message);
  }
}

/**
 * ALLOWED_ORIGINS (comma-separated) or the option's list: `*` when unset, empty or listing `*`.
 * An empty list given as the option allows no browser origin.
 */
export function parseOrigins(value: string | string[] | undefined): "*" | string[] {
  if (value === undefined || (typeof value === "string" && value.trim() === "")) return "*";
  const list = (Array.isArray(value) ? value : value.split(",")).map((o) =>
    o.trim().replace(/\/$/, ""),
  );
  return list.includes("*") ? "*" : list;
}

/** Checks `options` (throws Error naming the bad one) and returns the mount's settings. */
export function resolveSettings(options: EdgesyncOptions = {}): Settings {
  checkKeys("options", options, OPTION_KEYS);
  const { limits = {}, bindings = {} } = options;
  checkKeys("limits", limits, LIMIT_KEYS);
  const { batch, hocuspocus, mux, ...message } = limits;
  const limitOptions = {
    message: checked("limits", MESSAGE_TABLE, message),
    batch: checked("limits.batch", BATCH_TABLE, batch),
    relay: checked("limits.hocuspocus", RELAY_TABLE, hocuspocus),
    mux: checked("limits.mux", MUX_TABLE, mux),
  };
  checkKeys("bindings", bindings, Object.keys(DEFAULT_BINDINGS));
  const names = { ...DEFAULT_BINDINGS, ...bindings };
  for (const [key, name] of Object.entries(names))
    if (typeof name !== "string" || !BINDING_NAME.test(name))
      fail(`bindings.${key} must be a binding name, got ${JSON.stringify(name)}`);
  const origins = options.allowedOrigins;
  if (origins !== undefined && origins !== "*" && !isStringList(origins))
    fail('allowedOrigins must be "*" or an array of origins');
  const fixedOrigins = origins === undefined ? null : parseOrigins(origins);
  const auth = options.auth === undefined ? null : toAuth(options.auth);
  const maxMessageBytes = (env: Record<string, unknown>) =>
    readTable(MESSAGE_TABLE, env, limitOptions.message).maxMessageBytes;

  return {
    auth: (env) => auth ?? authFromEnv(env),
    authMode: (env) => {
      if (auth && "middleware" in options.auth!) return "token"; // an Auth: opaque, so "token"
      const given = (auth ? options.auth : null) as AuthOptions | null;
      if (given) {
        const checked = given.secret || given.jwt || given.authorize;
        return checked ? "token" : given.openAccess ? "open" : "unconfigured";
      }
      try {
        const { secret, openAccess } = readTable(AUTH_TABLE, env);
        return secret || jwksConfigured(env) ? "token" : openAccess ? "open" : "unconfigured";
      } catch (err) {
        if (err instanceof ConfigError) return "unconfigured"; // auth answers 503 with why
        throw err;
      }
    },
    allowedOrigins: (env) =>
      fixedOrigins ?? parseOrigins(parseEnv("ALLOWED_ORIGINS", env.ALLOWED_ORIGINS)),
    // Each table is read on its own, so a bad variable breaks only the routes that use it (a
    // ConfigError: a 500 that names it).
    maxMessageBytes,
    batchLimits: (env) => batchLimitsFromEnv(env, limitOptions.batch),
    relayLimits: (env) => relayLimitsFromEnv(env, limitOptions.relay),
    muxLimits: (env) => muxLimitsFromEnv(env, limitOptions.mux, maxMessageBytes(env)),
    documents: (env) => binding(env, names.documents, "Durable Object namespace", "get"),
    db: (env) => binding(env, names.db, "D1 database", "prepare"),
  };
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

function toAuth(value: Auth | AuthOptions): Auth {
  if (typeof value !== "object" || value === null) return fail("auth must be an object");
  if ("authenticate" in value && "middleware" in value) return value;
  checkKeys("auth", value, ["secret", "jwt", "authorize", "openAccess"]);
  try {
    return createAuth(value as AuthOptions);
  } catch (err) {
    return fail(`auth: ${(err as Error).message}`);
  }
}

/** The binding `name` of `env`, checked to be the kind expected (it has method `probe`). */
function binding<T>(env: Record<string, unknown>, name: string, kind: string, probe: string): T {
  const value = env[name] as Record<string, unknown> | undefined;
  if (typeof value?.[probe] !== "function")
    throw new ApiError(
      500,
      "binding_missing",
      `edgesync: the Worker has no ${kind} binding named ${name} (see wrangler.toml)`,
    );
  return value as T;
}

/** The settings of a mount with no options (the environment decides everything). */
const FROM_ENV = resolveSettings();

/** The settings of the mount serving `c`. */
export function settingsOf(c: Context<AppEnv>): Settings {
  return c.get("settings") ?? FROM_ENV;
}
