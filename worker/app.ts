// The Hono application type shared by route modules.
import { Hono } from "hono";
import type { Handoff } from "../durable-objects/contract";

/** `handoff`: what a route's middleware authenticated, for its handler (routes that read a body). */
export type AppEnv = { Bindings: Env; Variables: { handoff: Handoff } };
export const createApp = () => new Hono<AppEnv>();
