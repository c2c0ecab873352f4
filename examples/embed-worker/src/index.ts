// An application's Worker with routes of its own, and edgesync mounted beside them under /collab:
// WebSockets at /collab/sync/:docId, the REST API at /collab/v1/…, Hocuspocus at /collab/hocuspocus.
// The app signs its users in however it likes and hands them edgesync tokens (/api/token/:doc).
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { createDocumentObject, createEdgesync, createToken } from "edgesync/server";

interface AppEnv {
  APP_NAME: string;
  COLLAB_SECRET: string;
  COLLAB_DOCS: DurableObjectNamespace;
  APP_DB: D1Database;
}

/** How long the tokens this app hands out stay valid. */
const TOKEN_TTL_SECONDS = 15 * 60;
/** Documents this app's users may edit: ids under this prefix. */
const NOTES_PREFIX = "notes-";

// Options are read once, when the Worker starts; `env` from cloudflare:workers holds the secret.
const edgesync = createEdgesync({
  auth: { secret: (env as unknown as AppEnv).COLLAB_SECRET },
  allowedOrigins: ["https://app.example.com"],
  bindings: { documents: "COLLAB_DOCS", db: "APP_DB" },
  limits: { batch: { maxDocs: 50 } },
});

const app = new Hono<{ Bindings: AppEnv }>();

app.get("/", (c) => c.text(`${c.env.APP_NAME}: my own app, with edgesync under /collab`));
app.get("/api/hello", (c) => c.json({ hello: "world", from: c.env.APP_NAME }));
// Stands in for the app's own sign-in: anyone may edit the notes-* documents here.
app.get("/api/token/:doc", async (c) => {
  const doc = c.req.param("doc");
  if (!doc.startsWith(NOTES_PREFIX)) return c.json({ error: "not one of your notes" }, 403);
  const token = await createToken(c.env.COLLAB_SECRET, {
    doc,
    role: "write",
    ttlSeconds: TOKEN_TTL_SECONDS,
  });
  return c.json({ token });
});

app.route("/collab", edgesync);

/** edgesync's Durable Object, under the class_name wrangler.toml binds as COLLAB_DOCS. */
export const CollabDocuments = createDocumentObject({ db: "APP_DB" });

export default app;
