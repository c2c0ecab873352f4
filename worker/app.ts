// The Hono application type shared by route modules.
import { Hono } from "hono";
import type { Handoff } from "../durable-objects/contract";
import type { Auth } from "./auth/create-auth";
import type { Settings } from "./settings";

/**
 * The Worker's bindings as edgesync sees them: any names (createEdgesync's `bindings` option says
 * which are its Durable Object namespace and D1 database), so an embedder's own `Env` fits.
 */
export type EdgesyncBindings = Record<string, unknown>;

/**
 * `handoff`: what a route's middleware authenticated, for its handler (routes that read a body).
 * `auth`: set by `createAuth(…).middleware`; without it routes authenticate as `settings` say.
 * `settings`: set by createEdgesync (worker/edgesync.ts); without it the environment decides.
 */
export type AppEnv = {
  Bindings: EdgesyncBindings;
  Variables: { handoff: Handoff; auth?: Auth; settings?: Settings };
};
export const createApp = () => new Hono<AppEnv>();
