// Every known path answers the methods it does not serve with 405 and an `Allow` header, instead
// of the 404 a router gives for a method it has no route for.
import type { Hono } from "hono";
import type { AppEnv } from "./app";
import { methodNotAllowed } from "./errors";

/** Adds a catch-all per known path, listing the methods its routes serve. Call after every route. */
export function answerOtherMethods(app: Hono<AppEnv>): void {
  const allowed = new Map<string, Set<string>>();
  for (const { method, path } of app.routes) {
    if (method === "ALL") continue; // middleware, and paths that already answer every method
    const methods = allowed.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD"); // Hono answers HEAD with the GET route
    allowed.set(path, methods);
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].join(", ");
    app.all(path, (c) => methodNotAllowed(c, allow));
  }
}
