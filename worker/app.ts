// The Hono application type shared by route modules.
import { Hono } from "hono";
import type { Handoff } from "../durable-objects/contract";
import type { Auth } from "./auth/create-auth";

/**
 * `handoff`: what a route's middleware authenticated, for its handler (routes that read a body).
 * `auth`: set by `createAuth(…).middleware`; without it routes authenticate from the environment.
 */
export type AppEnv = { Bindings: Env; Variables: { handoff: Handoff; auth?: Auth } };
export const createApp = () => new Hono<AppEnv>();
