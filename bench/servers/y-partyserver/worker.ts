// y-partyserver as its README suggests: a YServer per room that loads from and saves to the
// Durable Object's SQLite in onLoad/onSave (debounced by y-partyserver's defaults).
import { routePartykitRequest } from "partyserver";
import { YServer } from "y-partyserver";
import * as Y from "yjs";

interface Env {
  YDocServer: DurableObjectNamespace;
  YDocServerHibernating: DurableObjectNamespace;
}

export class YDocServer extends YServer<Env> {
  /** y-partyserver's documented defaults, spelled out: save 2 s after the last edit, at most every 10 s. */
  static callbackOptions = { debounceWait: 2000, debounceMaxWait: 10000, timeout: 5000 };

  async onLoad(): Promise<void> {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, content BLOB NOT NULL)",
    );
    const rows = this.ctx.storage.sql
      .exec<{ content: ArrayBuffer }>("SELECT content FROM documents WHERE id = ?", this.name)
      .toArray();
    if (rows[0]) Y.applyUpdate(this.document, new Uint8Array(rows[0].content));
  }

  async onSave(): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO documents (id, content) VALUES (?, ?)",
      this.name,
      Y.encodeStateAsUpdate(this.document),
    );
  }
}

/** The same server with partyserver's opt-in hibernation (`hibernate: true`), for comparison. */
export class YDocServerHibernating extends YDocServer {
  static options = { hibernate: true };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    return (
      (await routePartykitRequest(request, env as never)) ??
      new Response("not found", { status: 404 })
    );
  },
};
