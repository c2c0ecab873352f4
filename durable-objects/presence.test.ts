// Presence's rules in Node, with real y-protocols Awareness on both sides and a fake send
// callback that decodes what each socket would receive. See PROTOCOL.md, Awareness.
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import { parseAwarenessUpdate, type AwarenessEntry } from "../protocol/validation";
import { decodeServerMessage } from "../protocol/server-messages";
import type { Connection, ConnectionState } from "./connection";
import { MAX_ATTACHMENT_AWARENESS_BYTES, Presence, type OwnedAwareness } from "./presence";

/** The injected wall clock: ids new to the instance get this Unix second as their offset. */
const NOW_MS = 1_790_000_000_000;
const OFFSET = Math.floor(NOW_MS / 1000);
/** The per-socket cap passed to receive(). */
const MAX_IDS = 3;

/** A socket as Presence sees it; `attachment` is what saveState() last persisted. */
class Socket implements Connection {
  readonly state: ConnectionState;
  attachment: ConnectionState | null = null;
  /** Awareness updates this socket was sent, as raw updates. */
  readonly updates: Uint8Array[] = [];
  closed?: boolean;
  openedAt?: number;

  constructor(id: string) {
    this.state = { id, role: "write", exp: null, aw: {} };
  }
  send(): void {
    throw new Error("Presence must send through its callback");
  }
  close(): void {}
  saveState(): void {
    this.attachment = structuredClone(this.state);
  }
  /** Everything this socket was sent since the last call, entry by entry. */
  take(): AwarenessEntry[][] {
    return this.updates.splice(0).map((u) => parseAwarenessUpdate(u));
  }
}

function makeRoom(restored: OwnedAwareness[] = []) {
  const sockets: Socket[] = [];
  const presence = new Presence(
    new Y.Doc(),
    () => sockets,
    () => NOW_MS,
    (conn, frame) => (conn as Socket).updates.push(unframe(frame)),
  );
  for (const owned of restored) presence.restore(owned);
  const open = (): Socket => {
    const socket = new Socket(`s${sockets.length}`);
    sockets.push(socket);
    presence.connect(socket);
    return socket;
  };
  const close = (socket: Socket): void => {
    socket.closed = true;
    presence.disconnect(socket);
  };
  const send = (socket: Socket, ...entries: [id: number, clock: number, state: unknown][]) =>
    presence.receive(
      socket,
      entries.map(([clientId, clock, state]) => ({ clientId, clock, state })),
      MAX_IDS,
    );
  const roomClock = (id: number) => presence.awareness.meta.get(id)?.clock;
  const stateOf = (id: number) => presence.awareness.getStates().get(id);
  return { presence, sockets, open, close, send, roomClock, stateOf };
}

/** The awareness update inside an awareness message. */
function unframe(frame: Uint8Array | null): Uint8Array {
  const message = decodeServerMessage(frame!);
  if (message.kind !== "awareness") throw new Error(`not awareness: ${message.kind}`);
  return message.update;
}

/** A real y-protocols client awareness (what y-websocket and our SDK hold). */
const clients: awarenessProtocol.Awareness[] = [];
function client(): awarenessProtocol.Awareness {
  const awareness = new awarenessProtocol.Awareness(new Y.Doc());
  clients.push(awareness);
  return awareness;
}
afterEach(() => clients.splice(0).forEach((a) => a.destroy()));

/** The entry a client awareness would send for its own state. */
const announce = (a: awarenessProtocol.Awareness): [number, number, unknown] => {
  const [entry] = parseAwarenessUpdate(awarenessProtocol.encodeAwarenessUpdate(a, [a.clientID]));
  return [entry!.clientId, entry!.clock, entry!.state];
};
const deliver = (a: awarenessProtocol.Awareness, socket: Socket) =>
  socket.updates.splice(0).forEach((u) => awarenessProtocol.applyAwarenessUpdate(a, u, "server"));

describe("Presence: what a socket may set", () => {
  it("takes a new id, which the socket then owns; the others get it at owner clock + Unix second", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    expect(room.send(a, [7, 1, { name: "a" }])).toEqual({ ok: true, changed: true });
    expect(a.state.aw).toEqual({ 7: [1, { name: "a" }, OFFSET] });
    expect(a.attachment?.aw).toEqual(a.state.aw);
    expect(room.roomClock(7)).toBe(1 + OFFSET);
    expect(b.take()).toEqual([[{ clientId: 7, clock: 1 + OFFSET, state: { name: "a" } }]]);
    // The sender gets its own clock back, never the room clock.
    expect(a.take()).toEqual([[{ clientId: 7, clock: 1, state: { name: "a" } }]]);
  });

  it("takes a newer clock for an owned id, keeping its offset", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 1, { v: 1 }]);
    b.take();
    expect(room.send(a, [7, 5, { v: 2 }])).toEqual({ ok: true, changed: true });
    expect(a.state.aw[7]).toEqual([5, { v: 2 }, OFFSET]);
    expect(b.take()).toEqual([[{ clientId: 7, clock: 5 + OFFSET, state: { v: 2 } }]]);
  });

  it("ignores an owned id at an older clock, or at the same clock with a state", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 4, { v: 1 }]);
    b.take();
    a.take();
    for (const clock of [3, 4]) {
      expect(room.send(a, [7, clock, { v: "stale" }])).toEqual({ ok: true, changed: false });
    }
    expect(room.stateOf(7)).toEqual({ v: 1 });
    expect(a.state.aw[7]).toEqual([4, { v: 1 }, OFFSET]);
    expect([a.take(), b.take()]).toEqual([[], []]);
  });

  it("lets the owner clear its id at its current clock; the id is then no longer owned", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 4, { v: 1 }]);
    b.take();
    expect(room.send(a, [7, 4, null])).toEqual({ ok: true, changed: true });
    expect(room.stateOf(7)).toBeUndefined();
    expect(a.state.aw).toEqual({});
    expect(b.take()).toEqual([[{ clientId: 7, clock: 4 + OFFSET, state: null }]]);
  });

  it("refuses a change to an id another socket owns, and changes nothing", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 1, { v: "a" }]);
    a.take();
    b.take();
    for (const entries of [
      [[7, 2 + OFFSET, { v: "b" }]],
      [
        [8, 1, { v: "b's own" }],
        [7, 2 + OFFSET, null],
      ],
    ] as [number, number, unknown][][]) {
      expect(room.send(b, ...entries)).toEqual({
        ok: false,
        reason: "awareness client 7 belongs to another connection",
      });
    }
    expect(room.stateOf(7)).toEqual({ v: "a" });
    expect(room.stateOf(8)).toBeUndefined();
    expect(b.state.aw).toEqual({});
    expect(b.attachment).toBeNull();
    expect([a.take(), b.take()]).toEqual([[], []]);
  });

  it("ignores another socket's id at or below the clock it was sent (a stock client's echo)", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 1, { v: "a" }]);
    a.take();
    for (const [clock, state] of [
      [1 + OFFSET, { v: "a" }],
      [OFFSET, { v: "older" }],
      [1 + OFFSET, null],
    ] as const) {
      expect(room.send(b, [7, clock, state])).toEqual({ ok: true, changed: false });
    }
    expect(room.stateOf(7)).toEqual({ v: "a" });
    expect(a.take()).toEqual([]);
  });

  it("does not count a closed socket as an owner", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 1, { v: "a" }]);
    a.closed = true; // closed, its disconnect not handled yet
    expect(room.send(b, [7, 2 + OFFSET, { v: "b" }])).toEqual({ ok: true, changed: true });
    expect(Object.keys(b.state.aw)).toEqual(["7"]);
    expect(a.take()).toEqual([[{ clientId: 7, clock: 1, state: { v: "a" } }]]); // before it closed
  });

  it(`caps the ids one socket owns at ${MAX_IDS}; the refused update applies nothing`, () => {
    const room = makeRoom();
    const a = room.open();
    expect(room.send(a, [1, 1, {}], [2, 1, {}], [3, 1, {}])).toMatchObject({ ok: true });
    expect(room.send(a, [1, 2, { v: 2 }], [4, 1, {}])).toEqual({
      ok: false,
      reason: `a connection may own at most ${MAX_IDS} awareness client ids`,
    });
    expect(room.stateOf(1)).toEqual({});
    expect(room.stateOf(4)).toBeUndefined();
    // Updating owned ids at the cap is fine, and clearing one makes room for another.
    expect(room.send(a, [1, 2, { v: 2 }], [3, 2, null])).toEqual({ ok: true, changed: true });
    expect(room.send(a, [4, 1, {}])).toEqual({ ok: true, changed: true });
    expect(Object.keys(a.state.aw).sort()).toEqual(["1", "2", "4"]);
  });

  it("ignores a removal of an id nobody owns at or below the room clock (an echo)", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 1, { v: "a" }]);
    room.close(a);
    b.take();
    expect(room.send(b, [7, 1 + OFFSET, null])).toEqual({ ok: true, changed: false });
    expect(room.send(b, [9, 1, null])).toEqual({ ok: true, changed: false });
    // Also while the state is still there: its owner closed, its disconnect not handled yet.
    const c = room.open();
    room.send(c, [8, 1, { v: "c" }]);
    c.closed = true;
    b.take();
    expect(room.send(b, [8, 1 + OFFSET, null])).toEqual({ ok: true, changed: false });
    expect(room.stateOf(8)).toEqual({ v: "c" });
    expect(b.state.aw).toEqual({});
    expect(b.take()).toEqual([]);
  });

  it("keeps ownership but not a state too large for the attachment", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    const big = { text: "x".repeat(MAX_ATTACHMENT_AWARENESS_BYTES) };
    expect(room.send(a, [7, 1, big])).toEqual({ ok: true, changed: true });
    expect(a.attachment?.aw).toEqual({ 7: [1, null, OFFSET] });
    expect(room.stateOf(7)).toEqual(big);
    expect(room.send(b, [7, 2 + OFFSET, {}])).toMatchObject({ ok: false });
  });
});

describe("Presence: clocks and sockets coming and going", () => {
  it("greets a newcomer one room clock above what the others were sent; owners keep theirs", () => {
    const room = makeRoom();
    const a = room.open();
    expect(a.take()).toEqual([]); // nothing to greet with
    room.send(a, [7, 3, { v: "a" }]);
    const b = room.open();
    expect(b.take()).toEqual([[{ clientId: 7, clock: 4 + OFFSET, state: { v: "a" } }]]);
    expect(a.attachment?.aw[7]).toEqual([3, { v: "a" }, OFFSET + 1]);
    // The owner is sent its own clock, in a greeting as in an answer to query-awareness.
    expect(parseAwarenessUpdate(unframe(room.presence.encodeAllFor(a)))).toEqual([
      { clientId: 7, clock: 3, state: { v: "a" } },
    ]);
    a.take();
    room.send(a, [7, 4, { v: "a2" }]);
    expect(b.take()).toEqual([[{ clientId: 7, clock: 5 + OFFSET, state: { v: "a2" } }]]);
    expect(a.take()).toEqual([[{ clientId: 7, clock: 4, state: { v: "a2" } }]]);
  });

  it("removes a closed socket's states and tells the others, not the closed socket", () => {
    const room = makeRoom();
    const [a, b] = [room.open(), room.open()];
    room.send(a, [7, 1, { v: 7 }], [8, 2, { v: 8 }]);
    [a, b].forEach((s) => s.take());
    room.close(a);
    expect(room.stateOf(7)).toBeUndefined();
    expect(room.stateOf(8)).toBeUndefined();
    expect(a.state.aw).toEqual({});
    expect(a.take()).toEqual([]);
    expect(b.take()).toEqual([
      [
        { clientId: 7, clock: 1 + OFFSET, state: null },
        { clientId: 8, clock: 2 + OFFSET, state: null },
      ],
    ]);
    room.close(b); // owned nothing: nobody is told anything
    expect(room.sockets.flatMap((s) => s.take())).toEqual([]);
  });

  it("takes a client back at its old clock on a socket opened after it left; others see it again", () => {
    const room = makeRoom();
    const [a, c] = [room.open(), room.open()];
    const watcher = client(); // what socket c's y-protocols awareness makes of its frames
    room.send(a, [7, 3, { v: "a" }]);
    deliver(watcher, c);
    room.close(a);
    deliver(watcher, c);
    expect(watcher.getStates().has(7)).toBe(false);
    // A stock client re-announces the clock it had; c's awareness remembers a higher one.
    const back = room.open();
    expect(room.send(back, [7, 3, { v: "a" }])).toEqual({ ok: true, changed: true });
    deliver(watcher, c);
    expect(watcher.getStates().get(7)).toEqual({ v: "a" });
    expect(room.roomClock(7)).toBe(4 + OFFSET);
    expect(back.take()).toEqual([[{ clientId: 7, clock: 3, state: { v: "a" } }]]);
  });

  it("ignores the old clock from a socket that was open when the client left (an echo)", () => {
    const room = makeRoom();
    const [a, c] = [room.open(), room.open()];
    room.send(a, [7, 3, { v: "a" }]);
    room.close(a);
    c.take();
    expect(room.send(c, [7, 3 + OFFSET, { v: "a" }])).toEqual({ ok: true, changed: false });
    expect(room.stateOf(7)).toBeUndefined();
    expect(c.state.aw).toEqual({});
    // A newer clock is a real change: the departed id may be taken, at no offset.
    expect(room.send(c, [7, 4 + OFFSET, { v: "c" }])).toEqual({ ok: true, changed: true });
    expect(c.state.aw).toEqual({ 7: [4 + OFFSET, { v: "c" }] });
  });

  it("restores states from attachments at their room clocks after a wake", () => {
    const before = makeRoom();
    const a = before.open();
    before.send(a, [7, 3, { v: "a" }]);
    before.open(); // raises the room clock by one
    const after = makeRoom([a.attachment!.aw]);
    expect(after.roomClock(7)).toBe(4 + OFFSET);
    expect(after.stateOf(7)).toEqual({ v: "a" });
  });

  it("never sends a client its own state at a clock that overrides its local state", () => {
    const room = makeRoom();
    const a = room.open();
    const local = client();
    local.setLocalState({ v: 1 });
    room.send(a, announce(local));
    local.setLocalState({ v: 2 }); // changed again before the server's forward arrives
    room.open(); // a newcomer raises the room clock of a's id
    deliver(local, a);
    awarenessProtocol.applyAwarenessUpdate(local, unframe(room.presence.encodeAllFor(a)), "");
    room.send(a, announce(local));
    deliver(local, a);
    expect(local.getLocalState()).toEqual({ v: 2 });
    expect(local.meta.get(local.clientID)!.clock).toBe(2);
  });

  it("shows a server-owned peer (an agent's) to every socket, and no socket may set it", () => {
    const room = makeRoom();
    const a = room.open();
    const state = { user: { name: "agent" } };
    expect(room.presence.setServerState(9, state, 100)).toBe(100);
    expect(room.presence.setServerState(9, state, 50)).toBe(101); // never below the last
    expect(a.take().flat()).toEqual([
      { clientId: 9, clock: 100, state },
      { clientId: 9, clock: 101, state },
    ]);
    const b = room.open(); // greeted one clock up, as with every state
    expect(b.take().flat()).toEqual([{ clientId: 9, clock: 102, state }]);
    expect(room.send(a, [9, 102, state])).toEqual({ ok: true, changed: false }); // an echo
    expect(room.send(a, [9, 200, { user: { name: "impostor" } }])).toMatchObject({ ok: false });
    room.presence.setServerState(9, null, 0);
    expect(b.take().flat()).toEqual([{ clientId: 9, clock: 103, state: null }]);
    expect(room.stateOf(9)).toBeUndefined();
  });
});
