// The Hono application type shared by route modules.
import { Hono } from "hono";
import type { Handoff } from "../durable-objects/contract";

/**
 * The Worker's bindings as edgesync sees them: any names (createEdgesync's `bindings` option says
 * which are its Durable Object namespace and D1 database), so an embedder's own `Env` fits.
 */
export type EdgesyncBindings = Record<string, unknown>;

/**
 * `handoff`: what a route's middleware authenticated, for its handler (routes that read a body).
 * `auth`: set by `createAuth(…).middleware`; without it routes authenticate as `settings` say
 * (declared in worker/auth/create-auth.ts). `settings`: set by createEdgesync
 * (worker/edgesync.ts); without it the environment decides (declared in worker/settings.ts). Each
 * module that owns a variable adds it here by declaration merging, so this file imports neither.
 */
export interface AppVariables {
  handoff: Handoff;
}
export type AppEnv = { Bindings: EdgesyncBindings; Variables: AppVariables };
export const createApp = () => new Hono<AppEnv>();
