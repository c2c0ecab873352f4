// Hocuspocus protocol conformance: stock @hocuspocus/provider 4.x and 3.x, many documents over
// shared sockets, against every server in targets.ts. The same cases pass against Hocuspocus's
// own server, so they test the protocol rather than our reading of it (PROTOCOL-NOTES.md).
// Hocuspocus's own tests, ported, are port-*.test.ts beside this file.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventually, uniqueDocId } from "../helpers/providers";
import {
  CLIENTS,
  session,
  whenAcknowledged,
  whenSynced,
  whenText,
  type Opened,
  type Session,
} from "./clients";
import { edgesyncAuth, edgesyncOpen, hocuspocusServer, runs, type RunningTarget } from "./targets";

/** Documents multiplexed over one socket (Hocuspocus accepts up to 100 awaiting auth at once). */
const DOCS_PER_SOCKET = 100;
/** Separate edits, each its own update frame and so its own SyncStatus. */
const EDITS = 50;

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => uniqueDocId(`${prefix}${i}`));
const awarenessNames = (o: Opened) =>
  [...o.provider.awareness!.getStates().values()].map((s) => s.user?.name).filter(Boolean);

/** Hocuspocus's own server, and edgesync's shared servers with tokens and open. */
const SERVERS = [hocuspocusServer, edgesyncAuth, edgesyncOpen];

describe.each(SERVERS)("Hocuspocus protocol: $name", (target) => {
  /** Cases about roles and refused tokens: none to observe with open access. */
  const withTokens = target.open ? it.skip : it;
  let server: RunningTarget;
  beforeAll(async () => {
    if (runs(target)) server = await target.start();
  });
  afterAll(() => server?.stop());

  describe.skipIf(!runs(target)).each(CLIENTS)("$name", (client) => {
    let s: Session;
    beforeEach(() => {
      s = session(client, server);
    });
    afterEach(() => s.destroy());

    it(`${DOCS_PER_SOCKET} documents over one shared socket all reach synced, each its own`, async () => {
      const docs = names("many", DOCS_PER_SOCKET);
      const socket = s.socket();
      const first = await Promise.all(docs.map((name) => s.open(socket, name)));
      await Promise.all(first.map((o) => whenSynced(o)));
      first.forEach((o, i) => o.text.insert(0, `content of ${i}`));
      await Promise.all(first.map(whenAcknowledged));

      const other = s.socket();
      const second = await Promise.all(docs.map((name) => s.open(other, name)));
      await Promise.all(second.map((o, i) => whenText(o, `content of ${i}`)));
      expect(s.websocketsOpened()).toBe(2);
      expect(s.websocketsClosed()).toBe(0);
    });

    it("edits made concurrently on two sockets converge", async () => {
      const docs = names("converge", 2);
      const [a, b] = [s.socket(), s.socket()];
      const onA = await Promise.all(docs.map((name) => s.open(a, name)));
      const onB = await Promise.all(docs.map((name) => s.open(b, name)));
      await Promise.all([...onA, ...onB].map((o) => whenSynced(o)));
      docs.forEach((_, i) => {
        onA[i]!.text.insert(0, `A${i} `);
        onB[i]!.text.insert(0, `B${i} `);
      });
      for (const [i, x] of onA.entries()) {
        const y = onB[i]!;
        await eventually(
          () => x.text.toString() === y.text.toString() && x.text.length === 6,
          () => `${JSON.stringify(x.text.toString())} vs ${JSON.stringify(y.text.toString())}`,
        );
        expect(x.text.toString()).toContain(`A${i} `);
        expect(x.text.toString()).toContain(`B${i} `);
      }
      await Promise.all([...onA, ...onB].map(whenAcknowledged));
    });

    withTokens(
      "read-only scope refuses edits with SyncStatus(false) and changes nothing",
      async () => {
        const name = uniqueDocId("readonly");
        const writer = await s.open(s.socket(), name);
        await whenSynced(writer);
        writer.text.insert(0, "original");
        await whenAcknowledged(writer);

        const reader = await s.open(s.socket(), name, { role: "read" });
        await whenText(reader, "original");
        // Its sync step 2 held nothing new, so that much is acknowledged.
        await whenAcknowledged(reader);
        expect(reader.provider.authorizedScope).toBe("readonly");
        expect(writer.provider.authorizedScope).toBe("read-write");

        const before = reader.statuses.length;
        reader.text.insert(0, "forged ");
        await eventually(
          () => reader.statuses.length > before,
          () => "no SyncStatus for the read-only edit",
        );
        expect(reader.statuses.slice(before)).toEqual([false]);
        expect(reader.provider.hasUnsyncedChanges).toBe(true);

        const fresh = await s.open(s.socket(), name);
        await whenSynced(fresh);
        expect(fresh.text.toString()).toBe("original");
        expect(writer.text.toString()).toBe("original");
        expect(s.websocketsClosed()).toBe(0);
      },
    );

    withTokens(
      "a token for another document fails that document only; the others carry on",
      async () => {
        const [a, b, denied] = names("wrongdoc", 3);
        const socket = s.socket();
        const good = await Promise.all([a!, b!].map((name) => s.open(socket, name)));
        const wrongToken = await server.tokenFor(uniqueDocId("elsewhere"), "write");
        const bad = await s.open(socket, denied!, { token: wrongToken });
        // Sent before the refusal arrives: the server must hold it and then drop it.
        bad.text.insert(0, "intruder");

        await Promise.all(good.map((o) => whenSynced(o)));
        await eventually(
          () => bad.denied.length > 0,
          () => "no PermissionDenied",
        );
        expect(bad.provider.isAuthenticated).toBe(false);
        expect(bad.provider.isSynced).toBe(false);

        good.forEach((o, i) => o.text.insert(0, `still here ${i}`));
        await Promise.all(good.map(whenAcknowledged));
        const watcher = s.socket();
        const seen = await Promise.all([a!, b!, denied!].map((name) => s.open(watcher, name)));
        await whenText(seen[0]!, "still here 0");
        await whenText(seen[1]!, "still here 1");
        await whenSynced(seen[2]!);
        expect(seen[2]!.text.toString()).toBe("");
        expect(s.websocketsOpened()).toBe(2);
        expect(s.websocketsClosed()).toBe(0);
      },
    );

    it("awareness reaches the other providers and leaves with its provider", async () => {
      const name = uniqueDocId("awareness");
      const a = await s.open(s.socket(), name);
      const b = await s.open(s.socket(), name);
      await Promise.all([whenSynced(a), whenSynced(b)]);
      a.provider.setAwarenessField("user", { name: "Ada" });
      b.provider.setAwarenessField("user", { name: "Bob" });
      for (const o of [a, b])
        await eventually(
          () => ["Ada", "Bob"].every((n) => awarenessNames(o).includes(n)),
          () => `${o === a ? "a" : "b"} sees ${awarenessNames(o).join(", ")}`,
        );

      s.close(b);
      await eventually(
        () => !a.provider.awareness!.getStates().has(b.doc.clientID),
        () => `a still sees ${awarenessNames(a).join(", ")}`,
      );
      expect(awarenessNames(a)).toEqual(["Ada"]);
    });

    it("a stateless message is relayed to the document's other connections", async () => {
      const name = uniqueDocId("stateless");
      const [sa, sb] = [s.socket(), s.socket()];
      const a = await s.open(sa, name);
      const b = await s.open(sb, name);
      const bystander = await s.open(sb, uniqueDocId("stateless-other"));
      await Promise.all([a, b, bystander].map((o) => whenSynced(o)));

      a.provider.sendStateless("question from a");
      await eventually(
        () => b.stateless.length > 0,
        () => "b got nothing",
      );
      b.provider.sendStateless("answer from b");
      await eventually(
        () => a.stateless.length > 0,
        () => "a got nothing",
      );
      // An echo of a's own message would have reached a before b's answer (one socket, in order).
      expect(a.stateless).toEqual(["answer from b"]);
      expect(b.stateless).toEqual(["question from a"]);
      expect(bystander.stateless).toEqual([]);
    });

    it("CLOSE (detach) ends one document on the socket; the others carry on", async () => {
      const [x, y] = names("close", 2);
      const [socket, watcher] = [s.socket(), s.socket()];
      const px = await s.open(socket, x!);
      const py = await s.open(socket, y!);
      const wx = await s.open(watcher, x!);
      const wy = await s.open(watcher, y!);
      await Promise.all([px, py, wx, wy].map((o) => whenSynced(o)));
      px.provider.setAwarenessField("user", { name: "X" });
      py.provider.setAwarenessField("user", { name: "Y" });
      await eventually(
        () => awarenessNames(wx).includes("X") && awarenessNames(wy).includes("Y"),
        () => `watcher sees ${awarenessNames(wx)} / ${awarenessNames(wy)}`,
      );

      px.provider.detach();
      // The server dropped x's connection, and with it x's awareness (detach sends no removal).
      await eventually(
        () => !awarenessNames(wx).includes("X"),
        () => `watcher still sees ${awarenessNames(wx)}`,
      );
      px.text.insert(0, "while detached");
      py.text.insert(0, "y goes on");
      await whenText(wy, "y goes on");
      await whenAcknowledged(py);
      expect(awarenessNames(wy)).toContain("Y");
      expect(wx.text.toString()).toBe("");

      // The same document can be opened again on the same socket.
      px.provider.attach();
      await whenText(wx, "while detached");
      await whenAcknowledged(px);
      expect(s.websocketsOpened()).toBe(2);
      expect(s.websocketsClosed()).toBe(0);
    });

    // Not a Hocuspocus test (its suite has none for reconnection or onStatus).
    it("a socket disconnected and connected again: statuses, every document syncs again, offline edits arrive", async () => {
      const docs = names("reconnect", 3);
      const socket = s.socket();
      const statuses: string[] = [];
      socket.on("status", ({ status }: { status: string }) => statuses.push(status));
      const opened = await Promise.all(docs.map((name) => s.open(socket, name)));
      await Promise.all(opened.map(whenAcknowledged));
      const watcher = s.socket();
      const seen = await Promise.all(docs.map((name) => s.open(watcher, name)));
      await Promise.all(seen.map((o) => whenSynced(o)));

      socket.disconnect();
      await eventually(
        () => statuses.at(-1) === "disconnected",
        () => `statuses ${statuses.join(",")}`,
      );
      opened.forEach((o, i) => o.text.insert(0, `offline ${i}`));
      expect(opened.every((o) => !o.provider.isSynced && o.provider.hasUnsyncedChanges)).toBe(true);
      socket.connect();
      await Promise.all(seen.map((o, i) => whenText(o, `offline ${i}`)));
      await Promise.all(opened.map(whenAcknowledged));
      const after = statuses.slice(statuses.lastIndexOf("disconnected"));
      expect(after[0]).toBe("disconnected");
      expect(after).toContain("connecting");
      expect(after.at(-1)).toBe("connected");
      expect(s.websocketsOpened()).toBe(3);
    });

    it("hasUnsyncedChanges returns to false once every edit is acknowledged", async () => {
      const name = uniqueDocId("unsynced");
      const o = await s.open(s.socket(), name);
      await whenAcknowledged(o);
      expect(o.statuses).toEqual([true]);

      for (let i = 0; i < EDITS; i++) o.text.insert(o.text.length, `${i},`);
      expect(o.provider.hasUnsyncedChanges).toBe(true);
      await whenAcknowledged(o);
      // One SyncStatus per update frame: more would let the counter reach zero too early.
      expect(o.statuses).toEqual(Array.from({ length: EDITS + 1 }, () => true));

      const fresh = await s.open(s.socket(), name);
      await whenText(fresh, o.text.toString());
    });

    it("issue 25: forceSync is answered with the server's own step 1, clearing hasUnsyncedChanges", async () => {
      const o = await s.open(s.socket(), uniqueDocId("forcesync"));
      await whenAcknowledged(o);
      o.provider.forceSync();
      expect(o.provider.hasUnsyncedChanges).toBe(true);
      await whenAcknowledged(o);
    });
  });
});
