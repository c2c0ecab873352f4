// Stock @hocuspocus/provider 4.x against the real server's /hocuspocus endpoint: many documents
// over one socket, each with its own token, next to y-websocket clients on the same documents;
// and token refresh: when a document's token expires the server asks the provider for another.
import { describe, expect, it } from "vitest";
import * as v4 from "@hocuspocus/provider";
import * as v3 from "hocuspocus-provider-v3";
import { HocuspocusType, decodeFrame } from "../../protocol/hocuspocus";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import {
  allSaved,
  allSynced,
  attach,
  hocuspocusSocket,
  token,
  type Attached,
  type ProviderLibrary,
} from "../helpers/hocuspocus";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

const server = sharedServer("auth");
const text = (a: { doc: { getText(n: string): { toString(): string } } }) =>
  a.doc.getText("t").toString();

describe("the Hocuspocus endpoint", () => {
  it("syncs 24 documents over one shared socket; edits converge with a second socket and with y-websocket", async () => {
    const names = Array.from({ length: 24 }, (_, i) => uniqueDocId(`mux${i}`));
    const socketA = hocuspocusSocket(server.url);
    const socketB = hocuspocusSocket(server.url);
    const a: Attached[] = [];
    const b: Attached[] = [];
    for (const name of names) {
      a.push(attach(socketA, name, await token(name)));
      b.push(attach(socketB, name, await token(name)));
    }
    await allSynced([...a, ...b]);
    expect(a.every((x) => x.scope === "read-write")).toBe(true);
    names.forEach((name, i) => {
      a[i]!.doc.getText("t").insert(0, `a${i} `);
      b[i]!.doc.getText("t").insert(0, `b${i} `);
    });
    for (let i = 0; i < names.length; i++) {
      await eventually(
        () => text(a[i]!) === text(b[i]!) && text(a[i]!).length === `a${i} b${i} `.length,
        () => `${names[i]}: a=${text(a[i]!)} b=${text(b[i]!)}`,
      );
    }
    // SyncStatus came back for every update: hasUnsyncedChanges is false everywhere.
    await allSaved([...a, ...b]);
    // A y-websocket client on one of the documents sees the Hocuspocus edits and is seen.
    const y = provider(server.wsUrl, names[3]!, undefined, { token: await token(names[3]!) });
    await whenSynced(y, 60_000);
    expect(y.doc.getText("t").toString()).toBe(text(a[3]!));
    y.doc.getText("t").insert(0, "y ");
    await eventually(
      () => text(a[3]!).startsWith("y ") && text(b[3]!).startsWith("y "),
      () => `a=${text(a[3]!)} b=${text(b[3]!)}`,
    );
    y.destroy();
    [...a, ...b].forEach((x) => x.provider.destroy());
    socketA.destroy();
    socketB.destroy();
  });

  it("a read-only token gets the readonly scope; its edits are refused and change nothing", async () => {
    const name = uniqueDocId("ro");
    const socket = hocuspocusSocket(server.url);
    const writer = attach(socket, name, await token(name));
    await allSynced([writer]);
    writer.doc.getText("t").insert(0, "kept");
    await allSaved([writer]);
    const readerSocket = hocuspocusSocket(server.url);
    const reader = attach(readerSocket, name, await token(name, "read"));
    await allSynced([reader]);
    expect(reader.scope).toBe("readonly");
    expect(text(reader)).toBe("kept");
    reader.doc.getText("t").insert(0, "refused ");
    // The refusal is a SyncStatus(false): the change stays unconfirmed.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(reader.provider.hasUnsyncedChanges).toBe(true);
    const check = provider(server.wsUrl, name, undefined, { token: await token(name) });
    await whenSynced(check, 60_000);
    expect(check.doc.getText("t").toString()).toBe("kept");
    expect(text(writer)).toBe("kept");
    check.destroy();
    writer.provider.destroy();
    reader.provider.destroy();
    socket.destroy();
    readerSocket.destroy();
  });

  it("a token for another document fails that document only; the others on the socket carry on", async () => {
    const good = uniqueDocId("good");
    const bad = uniqueDocId("bad");
    const socket = hocuspocusSocket(server.url);
    const refused = attach(socket, bad, await token(`${bad}-other`));
    const fine = attach(socket, good, await token(good));
    await allSynced([fine]);
    await eventually(
      () => refused.denied !== null,
      () => "no PermissionDenied",
    );
    expect(refused.denied).toMatch(/forbidden/);
    expect(refused.provider.isSynced).toBe(false);
    refused.doc.getText("t").insert(0, "never");
    fine.doc.getText("t").insert(0, "fine");
    await allSaved([fine]);
    const check = provider(server.wsUrl, bad, undefined, { token: await token(bad) });
    await whenSynced(check, 60_000);
    expect(check.doc.getText("t").toString()).toBe("");
    check.destroy();
    refused.provider.destroy();
    fine.provider.destroy();
    socket.destroy();
  });

  it("CLOSE detaches one document; the others on the socket carry on", async () => {
    const [x, y] = [uniqueDocId("closex"), uniqueDocId("closey")];
    const socket = hocuspocusSocket(server.url);
    const ax = attach(socket, x, await token(x));
    const ay = attach(socket, y, await token(y));
    await allSynced([ax, ay]);
    ax.provider.detach(); // sends CLOSE for x
    await new Promise((r) => setTimeout(r, 500));
    const writers = [x, y].map(async (name) => {
      const w = provider(server.wsUrl, name, undefined, { token: await token(name) });
      await whenSynced(w, 60_000);
      w.doc.getText("t").insert(0, "later");
      return w;
    });
    const [wx, wy] = await Promise.all(writers);
    await eventually(
      () => text(ay) === "later",
      () => `y=${text(ay)}`,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(text(ax)).toBe("");
    [wx!, wy!].forEach((w) => w.destroy());
    ax.provider.destroy();
    ay.provider.destroy();
    socket.destroy();
  });

  it("relays a stateless message to the document's other connections, not back to the sender", async () => {
    const name = uniqueDocId("stateless");
    const [socketA, socketB] = [hocuspocusSocket(server.url), hocuspocusSocket(server.url)];
    const a = attach(socketA, name, await token(name));
    const b = attach(socketB, name, await token(name, "read"));
    await allSynced([a, b]);
    const got = { a: [] as string[], b: [] as string[] };
    a.provider.on("stateless", ({ payload }: { payload: string }) => got.a.push(payload));
    b.provider.on("stateless", ({ payload }: { payload: string }) => got.b.push(payload));
    a.provider.sendStateless("hello from a");
    b.provider.sendStateless("hello from a reader");
    await eventually(
      () => got.b.length === 1 && got.a.length === 1,
      () => JSON.stringify(got),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toEqual({ a: ["hello from a reader"], b: ["hello from a"] });
    [a, b].forEach((p) => p.provider.destroy());
    socketA.destroy();
    socketB.destroy();
  });
});

/** Life of the short tokens: long enough to sync on a loaded machine, short enough to expire twice. */
const SHORT_TTL_SECONDS = 4;
/** The newest 4.x and the last 3.x provider (the 3.x API is the subset of 4.x used here). */
const PROVIDERS: [string, ProviderLibrary][] = [
  ["@hocuspocus/provider 4.x", v4],
  ["@hocuspocus/provider 3.x", v3 as unknown as ProviderLibrary],
];
/** Keystrokes on each side every this many ms in the typing test. */
const TYPING_INTERVAL_MS = 40;
/** How long typing goes on once the token was asked for again. */
const TYPING_AFTER_REFRESH_MS = 1_500;
/** How long a refresh may take here (expiry alarm, token request, verify, re-attach). */
const REFRESH_WAIT_MS = 60_000;

/** A `token` function minting a short-lived token for `doc()` on each call, counting calls. */
function shortTokens(doc: () => string) {
  const minted = {
    calls: 0,
    fn: () => {
      minted.calls++;
      return createToken(TEST_AUTH_SECRET, {
        doc: doc(),
        role: "write",
        ttlSeconds: SHORT_TTL_SECONDS,
      });
    },
  };
  return minted;
}

/** Counts the events that would show a document noticed anything. */
function watch(a: Attached) {
  const seen = { authenticated: 0, closed: 0, denied: 0 };
  a.provider.on("authenticated", () => seen.authenticated++);
  a.provider.on("close", () => seen.closed++);
  a.provider.on("authenticationFailed", () => seen.denied++);
  return seen;
}

describe("token refresh on /hocuspocus", () => {
  it("keeps a document editing across two expiries; the other document on the socket never notices", async () => {
    const [name, other] = [uniqueDocId("refresh"), uniqueDocId("bystander")];
    const tokens = shortTokens(() => name);
    const socket = hocuspocusSocket(server.url);
    let opens = 0;
    socket.on("open", () => opens++);
    const a = attach(socket, name, tokens.fn);
    const b = attach(socket, other, await token(other));
    const [seenA, seenB] = [watch(a), watch(b)];
    await allSynced([a, b]);
    const y = provider(server.wsUrl, name, undefined, { token: await token(name) });
    await whenSynced(y, 60_000);

    const rounds = ["before ", "after-one ", "after-two "];
    for (const [i, word] of rounds.entries()) {
      if (i > 0) {
        // Wait for expiry number i to have been refreshed (one token call per expiry).
        await eventually(
          () => tokens.calls > i,
          () => `token function called ${tokens.calls} times`,
          REFRESH_WAIT_MS,
        );
      }
      a.doc.getText("t").insert(0, word);
      y.doc.getText("t").insert(0, `y${i} `);
      await eventually(
        () => y.doc.getText("t").toString().includes(word) && text(a).includes(`y${i} `),
        () => `round ${i}: hocuspocus=${text(a)} y-websocket=${y.doc.getText("t").toString()}`,
        REFRESH_WAIT_MS,
      );
    }
    // Every update's SyncStatus arrived, including those sent on an expired document socket.
    await allSaved([a]);
    expect(a.denied).toBeNull();
    expect(seenA).toEqual({ authenticated: 1, closed: 0, denied: 0 });

    b.doc.getText("t").insert(0, "still here");
    await allSaved([b]);
    const check = provider(server.wsUrl, other, undefined, { token: await token(other) });
    await whenSynced(check, 60_000);
    expect(check.doc.getText("t").toString()).toBe("still here");
    expect(seenB).toEqual({ authenticated: 1, closed: 0, denied: 0 });
    expect(opens).toBe(1);
    [y, check].forEach((p) => p.destroy());
    [a, b].forEach((p) => p.provider.destroy());
    socket.destroy();
  });

  it.each(PROVIDERS)(
    "%s loses nothing typed on both sides while a token expires and is refreshed",
    async (_major, lib) => {
      const name = uniqueDocId("typing");
      const tokens = shortTokens(() => name);
      const socket = hocuspocusSocket(server.url, lib);
      const a = attach(socket, name, tokens.fn, undefined, lib);
      let statuses = 0;
      a.provider.on("message", ({ event }: { event: MessageEvent }) => {
        if (decodeFrame(new Uint8Array(event.data)).type === HocuspocusType.SyncStatus) statuses++;
      });
      await allSynced([a]);
      const y = provider(server.wsUrl, name, undefined, { token: await token(name) });
      await whenSynced(y, 60_000);
      // Both type through the expiry: some of a's keystrokes meet the expired document socket or
      // the refresh, and some of y's are broadcast while a is detached.
      let typed = 0;
      const typing = setInterval(() => {
        a.doc.getText("t").insert(0, "a");
        y.doc.getText("t").insert(0, "y");
        typed++;
      }, TYPING_INTERVAL_MS);
      await eventually(
        () => tokens.calls > 1,
        () => `token function called ${tokens.calls} times`,
        REFRESH_WAIT_MS,
      );
      await new Promise((r) => setTimeout(r, TYPING_AFTER_REFRESH_MS));
      clearInterval(typing);
      const yText = () => y.doc.getText("t").toString();
      await eventually(
        () => text(a).length === 2 * typed && yText().length === 2 * typed,
        () =>
          `typed ${typed} each: hocuspocus has ${text(a).length}, y-websocket ${yText().length}`,
        REFRESH_WAIT_MS,
      );
      expect(text(a)).toBe(yText());
      // Every keystroke's SyncStatus came, those lost with the expired socket included, and no
      // more: one for the first sync's step 2, one per keystroke (a surplus would confirm a later
      // update before it is stored).
      await allSaved([a]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(statuses).toBe(1 + typed);
      y.destroy();
      a.provider.destroy();
      socket.destroy();
    },
  );

  // Hocuspocus ends a document whose refreshed token its onTokenSync refuses with a CLOSE message
  // "Unauthorized" (ClientConnection.ts, `{ ...Unauthorized, ...err }`), not PermissionDenied.
  it("a refreshed token for another document ends that document only with onClose 'Unauthorized'", async () => {
    const [name, other] = [uniqueDocId("swapped"), uniqueDocId("stays")];
    // The first token is right; every later one names another document.
    const tokens = shortTokens(() => (tokens.calls === 1 ? name : `${name}-elsewhere`));
    const socket = hocuspocusSocket(server.url);
    const a = attach(socket, name, tokens.fn);
    const b = attach(socket, other, await token(other));
    const closes: string[] = [];
    a.provider.on("close", ({ event }: { event: { reason: string } }) => closes.push(event.reason));
    await allSynced([a, b]);
    a.doc.getText("t").insert(0, "kept");
    await allSaved([a]);
    await eventually(
      () => closes.length > 0,
      () => `no CLOSE (token calls: ${tokens.calls})`,
      REFRESH_WAIT_MS,
    );
    expect(closes).toEqual(["Unauthorized"]);
    expect(a.denied).toBeNull();
    a.doc.getText("t").insert(0, "refused ");
    b.doc.getText("t").insert(0, "b carries on");
    await allSaved([b]);
    const [checkA, checkB] = await Promise.all(
      [name, other].map(async (doc) => {
        const p = provider(server.wsUrl, doc, undefined, { token: await token(doc) });
        await whenSynced(p, 60_000);
        return p;
      }),
    );
    expect(checkB!.doc.getText("t").toString()).toBe("b carries on");
    expect(checkA!.doc.getText("t").toString()).toBe("kept");
    [checkA!, checkB!].forEach((p) => p.destroy());
    [a, b].forEach((p) => p.provider.destroy());
    socket.destroy();
  });
});
