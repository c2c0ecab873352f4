// Agents' peers over a real SQLite (Node's): shown with a lease, owned by their actor, restored
// after a wake at their stored clocks, and removed when the lease runs out. See PROTOCOL.md.
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { AgentPeers } from "./agent-peers";
import { Presence } from "./presence";
import { nodeSql } from "../test/helpers/node-platform";
import { PeerTable } from "./storage/agent-tables";
import { createStatements } from "./storage/schema";
import type { Sql } from "./storage/sqlite-log";

const LEASE_MS = 1_000;
const ACTOR = { id: "writer", name: "Writer" };
const CURSOR = { anchor: { tname: "text" }, head: { tname: "text" } };

/** Node's SQLite with the document's tables (storage/schema.ts). */
function nodeTables(): Sql {
  const sql = nodeSql(new DatabaseSync(":memory:"));
  for (const statement of createStatements()) sql.exec(statement);
  return sql;
}

function object(sql: Sql, clock: { now: number }) {
  const alarms: number[] = [];
  const presence = new Presence(
    new Y.Doc(),
    () => [],
    () => clock.now,
  );
  const peers = new AgentPeers(
    new PeerTable(sql),
    LEASE_MS,
    (at) => alarms.push(at),
    () => clock.now,
  );
  return {
    presence,
    peers,
    alarms,
    stateOf: (id: number) => presence.awareness.getStates().get(id),
  };
}

describe("agents' peers", () => {
  it("are shown with a lease, kept for their actor, and survive a wake until it ends", () => {
    const sql = nodeTables();
    const clock = { now: 1_790_000_000_000 };
    const before = object(sql, clock);
    expect(before.peers.show(before.presence, ACTOR, { clientId: 5, cursor: CURSOR })).toBe(true);
    expect(before.stateOf(5)).toEqual({
      user: { name: "Writer", color: "#8a2be2" },
      agent: "writer",
      cursor: CURSOR,
    });
    expect(before.alarms).toEqual([clock.now + LEASE_MS]);
    // Another actor may neither take nor remove it.
    expect(before.peers.show(before.presence, { id: "other" }, { clientId: 5 })).toBe(false);
    expect(before.peers.leave(before.presence, { id: "other" }, 5)).toBe(false);
    const clockBefore = before.presence.awareness.meta.get(5)!.clock;

    clock.now += LEASE_MS / 2; // a wake: memory is gone, SQLite is not
    const after = object(sql, clock);
    after.peers.restore(after.presence);
    expect(after.stateOf(5)).toEqual(before.stateOf(5));
    expect(after.presence.awareness.meta.get(5)!.clock).toBe(clockBefore);
    expect(after.peers.expire(after.presence)).toBe(clock.now + LEASE_MS / 2); // not yet
    expect(after.stateOf(5)).toBeDefined();

    clock.now += LEASE_MS / 2;
    expect(after.peers.expire(after.presence)).toBeNull();
    expect(after.stateOf(5)).toBeUndefined();
    const again = object(sql, clock);
    again.peers.restore(again.presence);
    expect(again.stateOf(5)).toBeUndefined();
  });

  it("leave at once when their actor ends the session", () => {
    const sql = nodeTables();
    const clock = { now: 1_790_000_000_000 };
    const { presence, peers, stateOf } = object(sql, clock);
    peers.show(presence, ACTOR, { clientId: 6 });
    expect(peers.leave(presence, ACTOR, 6)).toBe(true);
    expect(stateOf(6)).toBeUndefined();
    expect(peers.expire(presence)).toBeNull();
  });
});
