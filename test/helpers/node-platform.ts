// The host's platform port (durable-objects/platform.ts) in Node: Cloudflare's `sql.exec` and
// `transactionSync` over node:sqlite (the same SQL engine; BLOBs come back as ArrayBuffers, as
// in workerd), D1's prepare/bind/batch over a second node:sqlite database with the real
// migrations, an alarm that only records, and sockets that record what they were sent.
import { readdirSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import type { DocumentPlatform, HostSocket } from "../../durable-objects/platform";
import type { Sql } from "../../durable-objects/storage/sqlite-log";

const toBuffer = (v: Uint8Array) => v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
const fromNode = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? toBuffer(v) : v]),
  );
const toNode = (values: unknown[]) =>
  values.map((v) => (v instanceof ArrayBuffer ? new Uint8Array(v) : v)) as never[];

export function nodeSql(db: DatabaseSync): Sql {
  return {
    exec(query: string, ...bindings: unknown[]) {
      const rows = db
        .prepare(query)
        .all(...toNode(bindings))
        .map(fromNode);
      const cursor = {
        toArray: () => rows,
        one: () => rows[0],
        [Symbol.iterator]: () => rows[Symbol.iterator](),
      };
      return cursor as unknown as SqlStorageCursor<never>;
    },
  };
}

/** `transactionSync`: a savepoint, so transactions nest as they do in workerd. */
export function nodeTransaction(db: DatabaseSync) {
  return <T>(fn: () => T): T => {
    db.exec("SAVEPOINT t");
    try {
      const result = fn();
      db.exec("RELEASE t");
      return result;
    } catch (err) {
      db.exec("ROLLBACK TO t");
      db.exec("RELEASE t");
      throw err;
    }
  };
}

/** D1's statement API (what storage/d1-record.ts uses) over node:sqlite, migrated. */
export function nodeD1(db = new DatabaseSync(":memory:")): D1Database {
  const folder = new URL("../../migrations/", import.meta.url);
  for (const file of readdirSync(folder).sort())
    db.exec(readFileSync(new URL(file, folder), "utf8"));
  const statement = (query: string, bindings: unknown[] = []) => ({
    bind: (...values: unknown[]) => statement(query, values),
    first: async () => (db.prepare(query).get(...toNode(bindings)) as never) ?? null,
    all: async () => ({
      results: db
        .prepare(query)
        .all(...toNode(bindings))
        .map(fromNode),
    }),
    run: async () => (db.prepare(query).run(...toNode(bindings)), { success: true }),
  });
  const batch = async (statements: ReturnType<typeof statement>[]) =>
    nodeTransaction(db)(() => statements.map((s) => (s.run(), { success: true })));
  return { prepare: (query: string) => statement(query), batch } as unknown as D1Database;
}

/** A socket that records what it was sent and how it was closed. */
export class FakeSocket implements HostSocket {
  sent: Uint8Array[] = [];
  closed: { code?: number; reason?: string } | null = null;
  /** A client that reads everything at once: nothing stays queued. */
  readonly bufferedAmount = 0;
  private attachment: unknown = null;
  send(data: Uint8Array): void {
    if (this.closed) throw new Error("socket closed");
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed ??= { code, reason };
  }
  serializeAttachment(value: unknown): void {
    this.attachment = structuredClone(value);
  }
  deserializeAttachment(): unknown {
    return structuredClone(this.attachment);
  }
}

/** One object's platform: its own SQLite file (reopen it by passing the same `db`). */
export class NodePlatform implements DocumentPlatform {
  readonly sql: Sql;
  readonly transaction: <T>(fn: () => T) => T;
  /** The accepted sockets; a closed one stays listed until the test removes it, as in workerd. */
  open: FakeSocket[] = [];
  alarm: number | null = null;

  constructor(
    readonly db = new DatabaseSync(":memory:"),
    readonly name = "node-object",
  ) {
    this.sql = nodeSql(db);
    this.transaction = nodeTransaction(db);
  }
  sockets(): HostSocket[] {
    return this.open.filter((ws) => !ws.closed);
  }
  async getAlarm(): Promise<number | null> {
    return this.alarm;
  }
  setAlarm(at: number): void {
    this.alarm = at;
  }
  async deleteAlarm(): Promise<void> {
    this.alarm = null;
  }
}
