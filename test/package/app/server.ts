// A Worker of a consumer app that mounts edgesync from the packed package (test/package/
// pack.test.ts copies it into a fresh app that installs the tarball, Hono and the Workers types).
// Type-checked there with the package's declarations checked too, and bundled with esbuild.
import { Hono } from "hono";
import {
  createAuth,
  createDocumentObject,
  createEdgesync,
  createToken,
  type AuthorizeHook,
  type EdgesyncOptions,
  type Role,
} from "edgesync/server";

interface MyEnv {
  SYNC_DOCS: DurableObjectNamespace;
  SYNC_DB: D1Database;
  SECRET: string;
}

const authorize: AuthorizeHook = (request, docId) =>
  request.headers.get("x-api-key") === "k" ? { role: "read" as Role, sub: docId } : { refuse: 401 };

const options: EdgesyncOptions = {
  auth: createAuth({ secret: "a-secret-of-the-app", authorize }),
  allowedOrigins: ["https://app.example.com"],
  limits: { maxMessageBytes: 1024 * 1024, batch: { maxDocs: 20 } },
  bindings: { documents: "SYNC_DOCS", db: "SYNC_DB" },
};
// @ts-expect-error a misspelt limit is a type error (the declarations are not `any`)
const misspelt: EdgesyncOptions = { limits: { maxMessageByte: 1 } };
void misspelt;

const app = new Hono<{ Bindings: MyEnv }>();
app.get("/", (c) => c.text("my app"));
app.get("/token/:doc", async (c) =>
  c.text(await createToken(c.env.SECRET, { doc: c.req.param("doc"), role: "write" })),
);
app.route("/collab", createEdgesync(options));

/** The Durable Object class for `[[durable_objects.bindings]] class_name = "SyncDocuments"`. */
export const SyncDocuments = createDocumentObject({ db: "SYNC_DB", limits: { maxDocBytes: 2e6 } });
export default app;
