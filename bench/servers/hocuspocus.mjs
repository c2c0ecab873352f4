// Hocuspocus at its defaults with SQLite persistence: the Database extension over Node's built-in
// node:sqlite, with @hocuspocus/extension-sqlite's schema and queries (its better-sqlite3 addon is native).
import { DatabaseSync } from "node:sqlite";
import { Server } from "@hocuspocus/server";
import { Database } from "@hocuspocus/extension-database";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 1234);
/** The SQLite file; the extension's own default is ":memory:", which would persist nothing. */
const DB_PATH = process.env.DB_PATH ?? "hocuspocus.sqlite";
const SCHEMA = `CREATE TABLE IF NOT EXISTS "documents" ("name" varchar(255) NOT NULL, "data" blob NOT NULL, UNIQUE(name))`;
const SELECT = `SELECT data FROM "documents" WHERE name = $name ORDER BY rowid DESC`;
const UPSERT = `INSERT INTO "documents" ("name", "data") VALUES ($name, $data)
  ON CONFLICT(name) DO UPDATE SET data = $data`;

const db = new DatabaseSync(DB_PATH);
db.exec(SCHEMA);
const select = db.prepare(SELECT);
const upsert = db.prepare(UPSERT);

const server = new Server({
  address: HOST,
  port: PORT,
  quiet: true,
  extensions: [
    new Database({
      fetch: async ({ documentName }) => {
        const row = select.get({ name: documentName });
        return row ? new Uint8Array(row.data) : null;
      },
      store: async ({ documentName, state }) => {
        upsert.run({ name: documentName, data: state });
      },
    }),
  ],
});
await server.listen();
console.log(`hocuspocus listening on ${HOST}:${PORT}`);
