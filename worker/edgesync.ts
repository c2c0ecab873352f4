// `createEdgesync(options)`: every route of the edgesync Worker as one Hono app, to serve as a
// Worker's default export (worker/index.ts does) or to mount beside an application's own routes
// (`app.route("/collab", createEdgesync(…))`). Options are checked here, once; see settings.ts.
import type { Hono } from "hono";
import { createApp, type AppEnv } from "./app";
import { cancelUnreadBody } from "./body";
import { restCors } from "./cors";
import { notFound, onError } from "./errors";
import { hocuspocusRoute } from "./hocuspocus/route";
import { answerOtherMethods } from "./methods";
import { adminPage } from "./routes/admin-page";
import { docs } from "./routes/docs";
import { muxRoute } from "./mux/route";
import { health } from "./routes/health";
import { socketRoute } from "./routes/socket";
import { resolveSettings, type EdgesyncOptions } from "./settings";

/** The app createEdgesync returns: mount it with `app.route(path, edgesync)` or serve it as is. */
export type EdgesyncApp = Hono<AppEnv>;

/** Builds the edgesync app; throws Error at once on an unknown or invalid option. */
export function createEdgesync(options: EdgesyncOptions = {}): EdgesyncApp {
  const settings = resolveSettings(options);
  const basePath = checkBasePath(options.basePath);
  const app = createApp();
  app.use(async (c, next) => {
    c.set("settings", settings);
    await next();
  });
  app.use(cancelUnreadBody);
  // Before the routes, so preflights are answered and every /v1 response (errors too) carries CORS.
  app.use("/v1/*", restCors());
  // Every route module, one line each; a new one is mounted here (before answerOtherMethods).
  app.route("/", health);
  app.route("/", socketRoute);
  app.route("/", docs);
  app.route("/", adminPage); // the inspector page (its data comes from the /v1 admin routes)
  // The relays open each document through this app: the same checks as a direct /sync/:docId socket.
  app.route("/", hocuspocusRoute(app));
  app.route("/", muxRoute(app));
  answerOtherMethods(app);
  app.notFound(notFound);
  app.onError(onError);
  if (!basePath) return app;
  const outer = createApp();
  outer.route(basePath, app);
  outer.notFound(notFound);
  outer.onError(onError);
  return outer;
}

/** `/collab` or `/a/b`: starts with `/`, no trailing `/`, no parameters or wildcards. */
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

function checkBasePath(path: string | undefined): string | null {
  if (path === undefined || path === "" || path === "/") return null;
  if (typeof path !== "string" || !BASE_PATH.test(path))
    throw new Error(
      `createEdgesync: basePath must look like /collab (no trailing slash), got ${JSON.stringify(path)}`,
    );
  return path;
}
