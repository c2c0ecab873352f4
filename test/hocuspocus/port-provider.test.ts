// Hocuspocus's provider tests (github.com/ueberdosis/hocuspocus, tests/provider/*.ts at 3ec6084),
// ported to what a client observes, each run by test/hocuspocus/port.ts against Hocuspocus's own
// server and edgesync's /hocuspocus, open and with tokens, with providers 4.x and 3.x. Every
// case names the Hocuspocus file and test it mirrors. Where its server is configured by a hook,
// the case uses our equivalent (a read token for `connectionConfig.readOnly = true`, a token for
// another document for a hook that throws, content written first for an `onLoadDocument` that
// fills the document); "tokens" cases need token checks, so they do not run with open access.
//
// Not ported (nothing a server does can change their outcome, or they need a hook we lack):
// - providerwebsocket/configuration.ts (2): read a configuration field; no server involved.
// - providerwebsocket/messageQueueDeduplication.ts (6): `autoConnect: false`, never connects.
// - provider/onSynced.ts "onSynced callback is executed, even when the onConnect takes longer"
//   and "… when the document is actually synced, even if it takes longer": the delay is a server
//   hook's (edgesync has none); the content half is "… when the document is actually synced".
// - provider/flushDelay.ts "batches rapid document updates into a single outgoing message",
//   "sends one message per update when flushDelay is disabled", "collapses rapid awareness
//   changes into a single outgoing message": they count what the provider sends before any reply.
import * as Y from "yjs";
import type { Provider } from "./clients";
import { once, portSuite, retryable, sleep, type Hp } from "./port";

const AWARENESS_MESSAGE = "Awareness states update";
const hasFoo = (p: Provider) =>
  [...(p.awareness?.getStates().values() ?? [])].some((state) => state.foo === "bar");
const synced = (p: Provider) =>
  p.isSynced ? Promise.resolve() : new Promise<void>((r) => p.on("synced", () => r()));
/** A read-only provider for the case's document. */
const readonly = async (hp: Hp, options: Parameters<Hp["provider"]>[0] = {}) =>
  hp.provider({ token: await hp.token(hp.name, "read"), ...options });

portSuite((port) => {
  // 3.x providers do echo it, to Hocuspocus's server as to ours.
  port(
    "provider/awarenessEcho.ts",
    "does not echo awareness received from the server back to it",
    { v4: true },
    async (hp) => {
      const first = await hp.provider();
      let outgoing = 0;
      const second = await hp.provider({
        onOutgoingMessage({ message }) {
          if (message.description === AWARENESS_MESSAGE) outgoing++;
        },
      });
      await synced(second);
      await sleep(100);
      outgoing = 0;
      first.setAwarenessField("foo", "bar");
      await retryable(() => hp.expect(hasFoo(second)).toBe(true));
      await sleep(100);
      hp.expect(outgoing).toBe(0);
    },
  );

  port(
    "provider/awarenessEcho.ts",
    "still sends awareness changes that originate locally",
    async (hp) => {
      const first = await hp.provider();
      const second = await hp.provider();
      await synced(second);
      second.setAwarenessField("foo", "bar");
      await retryable(() => hp.expect(hasFoo(first)).toBe(true));
    },
  );

  port(
    "provider/awarenessEcho.ts",
    "still tells the server when a client goes away",
    async (hp) => {
      const first = await hp.provider();
      const second = await hp.provider();
      await synced(second);
      second.setAwarenessField("foo", "bar");
      await retryable(() => hp.expect(hasFoo(first)).toBe(true));
      second.destroy();
      await retryable(() => hp.expect(hasFoo(first)).toBe(false));
    },
  );

  port(
    "provider/flushDelay.ts",
    "a merged batch still converges on another client",
    { v4: true },
    async (hp) => {
      const provider = await hp.provider({ awareness: null, flushDelay: 100 });
      await synced(provider);
      const map = provider.document.getMap("test");
      [..."abc"].forEach((key, i) => map.set(key, i + 1));
      const reader = await hp.provider({ awareness: null });
      await retryable(() =>
        hp.expect(reader.document.getMap("test").toJSON()).toEqual({ a: 1, b: 2, c: 3 }),
      );
    },
  );

  port(
    "provider/flushDelay.ts",
    "reports unsynced changes during the batch window and clears after sync",
    { v4: true },
    async (hp) => {
      const provider = await hp.provider({ awareness: null, flushDelay: 100 });
      await synced(provider);
      provider.document.getMap("test").set("a", 1);
      provider.document.getMap("test").set("b", 2);
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
    },
  );

  port("provider/hasUnsyncedChanges.ts", "initially doesn't have unsynced changes", async (hp) => {
    const provider = await hp.provider();
    hp.expect(provider.hasUnsyncedChanges).toBe(false);
    hp.expect(provider.synced).toBe(false);
    // Hocuspocus waits 200 ms; edgesync's SyncStatus waits for storage, so wait for the state.
    await retryable(() => {
      hp.expect(provider.hasUnsyncedChanges).toBe(false);
      hp.expect(provider.synced).toBe(true);
    });
  });

  port("provider/hasUnsyncedChanges.ts", "has unsynced changes when updating", async (hp) => {
    const provider = await hp.provider({ awareness: undefined });
    provider.document.getMap("test").set("foo", "bar");
    hp.expect(provider.hasUnsyncedChanges).toBe(true);
    await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
  });

  port(
    "provider/hasUnsyncedChanges.ts",
    "has unsynced changes when in readonly mode",
    { modes: ["tokens"] },
    async (hp) => {
      const provider = await readonly(hp);
      provider.document.getMap("test").set("foo", "bar");
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(true));
      await synced(provider);
      await sleep(100);
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
    },
  );

  port(
    "provider/hasUnsyncedChanges.ts",
    "has no unsynced changes when in readonly mode and no changes",
    { modes: ["tokens"] },
    async (hp) => {
      const first = once<boolean>();
      const provider = await readonly(hp, {
        onUnsyncedChanges: () => first.fn(provider.hasUnsyncedChanges),
      });
      // First it is briefly true, awaiting the ack of the initial sync …
      hp.expect(await first.done).toBe(true);
      // … then false once the sync message is confirmed.
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
    },
  );

  port(
    "provider/hasUnsyncedChanges.ts",
    "has unsynced changes when in readonly mode and receiving external update",
    { modes: ["tokens"] },
    async (hp) => {
      const provider = await readonly(hp);
      provider.document.getMap("test").set("foo", "bar");
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
      await sleep(100);
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
      const provider2 = await hp.provider();
      provider2.document.getMap("test2").set("foo", "bar");
      hp.expect(provider2.hasUnsyncedChanges).toBe(true);
      await retryable(() => hp.expect(provider2.hasUnsyncedChanges).toBe(false));
      // The read-only provider did receive the external update, and still holds its own.
      await retryable(() => hp.expect(provider.document.getMap("test2").get("foo")).toBe("bar"));
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
    },
  );

  port(
    "provider/hasUnsyncedChanges.ts",
    "has unsynced changes when in readonly mode and initial document has changed",
    { modes: ["tokens"] },
    async (hp) => {
      const document = new Y.Doc();
      document.getMap("test").set("foo", "bar");
      const provider = await readonly(hp, { document });
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(true));
      await synced(provider);
      await sleep(100);
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
    },
  );

  // Hocuspocus's onLoadDocument returns the initial state; here a writer put it there (and stays).
  port(
    "provider/hasUnsyncedChanges.ts",
    "has unsynced changes when in readonly mode and initial document has changed (deletion)",
    { modes: ["tokens"] },
    async (hp) => {
      const document = new Y.Doc();
      document.getMap("test").set("foo", "bar");
      const writer = await hp.provider({ document: new Y.Doc() });
      Y.applyUpdate(writer.document, Y.encodeStateAsUpdate(document));
      await retryable(() => hp.expect(writer.hasUnsyncedChanges).toBe(false));
      document.getMap("test").delete("foo");
      const provider = await readonly(hp, { document });
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(true));
      await synced(provider);
      await sleep(100);
      hp.expect(provider.hasUnsyncedChanges).toBe(true);
    },
  );

  port(
    "provider/hasUnsyncedChanges.ts",
    "has no unsynced changes when in readonly mode and initial document has not changed",
    { modes: ["tokens"] },
    async (hp) => {
      const provider = await readonly(hp, { document: new Y.Doc() });
      await retryable(() => hp.expect(provider.isSynced).toBe(true));
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
      await sleep(200);
      hp.expect(provider.hasUnsyncedChanges).toBe(false);
    },
  );

  for (const observer of ["observe", "observeDeep"] as const) {
    const file = `provider/${observer}.ts`;
    const counting = async (hp: Hp) => {
      const provider = await hp.provider();
      const type = provider.document.get("xmlText", Y.XmlText) as unknown as Y.XmlText;
      const seen = { count: 0 };
      type[observer](() => seen.count++);
      return { provider, type, seen };
    };
    port(file, `${observer} is called just once`, async (hp) => {
      const { provider, type, seen } = await counting(hp);
      type.insert(1, "a");
      await synced(provider);
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
      await sleep(100);
      hp.expect(seen.count).toBe(1);
    });
    port(file, `${observer} is called for every single change`, async (hp) => {
      const { provider, type, seen } = await counting(hp);
      type.insert(1, "a");
      type.insert(2, "b");
      type.insert(3, "c");
      await synced(provider);
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
      await sleep(100);
      hp.expect(seen.count).toBe(3);
    });
    port(file, `${observer} is called once for a single transaction`, async (hp) => {
      const { provider, type, seen } = await counting(hp);
      Y.transact(provider.document, () => {
        type.insert(1, "a");
        type.insert(2, "b");
        type.insert(3, "c");
      });
      await synced(provider);
      await retryable(() => hp.expect(provider.hasUnsyncedChanges).toBe(false));
      await sleep(100);
      hp.expect(seen.count).toBe(1);
    });
  }

  // onAuthenticated.ts: Hocuspocus's hook wants one token; ours, a valid token for the document.
  const tokenKinds = {
    "": (hp: Hp) => hp.token(),
    " when token is provided as a function that returns a promise": async (hp: Hp) => {
      const token = await hp.token();
      return async () => Promise.resolve(token);
    },
    " when token is provided as a function that returns a string": async (hp: Hp) => {
      const token = await hp.token();
      return () => token;
    },
  };
  for (const [suffix, tokenOf] of Object.entries(tokenKinds)) {
    port(
      "provider/onAuthenticated.ts",
      `executes the onAuthenticated callback${suffix}`,
      async (hp) => {
        const done = once();
        const provider = await hp.provider({ token: await tokenOf(hp), onAuthenticated: done.fn });
        await done.done;
        hp.expect(provider.isAuthenticated).toBe(true);
        hp.expect(provider.authorizedScope).toBe("read-write");
      },
    );
  }

  port(
    "provider/onAuthenticated.ts",
    "sets correct scope for readonly",
    { modes: ["tokens"] },
    async (hp) => {
      const done = once();
      const provider = await readonly(hp, { onAuthenticated: done.fn });
      await done.done;
      hp.expect(provider.isAuthenticated).toBe(true);
      hp.expect(provider.authorizedScope).toBe("readonly");
    },
  );

  port(
    "provider/onAuthenticationFailed.ts",
    "executes the onAuthenticationFailed callback",
    { modes: ["tokens"] },
    async (hp) => {
      const done = once();
      await hp.provider({
        token: await hp.token("another-document"),
        onAuthenticationFailed: done.fn,
      });
      await done.done;
    },
  );

  port(
    "provider/onAuthenticationFailedRetry.ts",
    "provider retries auth with token function after initial failure",
    { modes: ["tokens"] },
    async (hp) => {
      const [wrong, right] = await Promise.all([hp.token("another-document"), hp.token()]);
      let calls = 0;
      const provider: Provider = await hp.provider({
        websocketProvider: hp.socket(),
        token: () => (++calls === 1 ? wrong : right),
        onAuthenticationFailed() {
          provider.sendToken();
          provider.startSync();
        },
      });
      await retryable(() => hp.expect(provider.isAuthenticated).toBe(true));
      hp.expect(calls).toBe(2);
    },
  );

  port(
    "provider/onAuthenticationFailedRetry.ts",
    "second provider with same doc name succeeds after first fails auth",
    { modes: ["tokens"] },
    async (hp) => {
      const socket = hp.socket();
      const events: string[] = [];
      const providerFail = await hp.provider({
        websocketProvider: socket,
        token: await hp.token("another-document"),
        onAuthenticated: () => events.push("fail authenticated"),
        onAuthenticationFailed: () => events.push("fail refused"),
      });
      await retryable(() => hp.expect(events).toEqual(["fail refused"]));
      const providerOK = await hp.provider({
        websocketProvider: socket,
        onAuthenticationFailed: () => events.push("ok refused"),
      });
      await retryable(() => hp.expect(providerOK.isAuthenticated).toBe(true));
      hp.expect(providerFail.isAuthenticated).toBe(false);
      hp.expect(events).toEqual(["fail refused"]);
    },
  );

  for (const event of ["onAwarenessChange", "onAwarenessUpdate"] as const) {
    const file = `provider/${event}.ts`;
    port(file, `${event} callback is executed`, async (hp) => {
      const done = once<{ states: { foo?: string }[] }>();
      const provider: Provider = await hp.provider({
        onConnect: () => provider.setAwarenessField("foo", "bar"),
        [event]: done.fn,
      });
      const { states } = await done.done;
      hp.expect(states.length).toBe(1);
      hp.expect(states[0]!.foo).toBe("bar");
    });
    port(file, "shares awareness state with other users", async (hp) => {
      const done = once();
      const seesPlayer = (name: string, then?: () => void) => ({
        [event]: ({ states }: { states: { name?: string }[] }) => {
          if (states.some((s) => s.name === name)) then?.();
        },
      });
      const provider: Provider = await hp.provider({
        onConnect: () => provider.setAwarenessField("name", "player1"),
        ...seesPlayer("player2", done.fn),
      });
      const another: Provider = await hp.provider({
        onConnect: () => another.setAwarenessField("name", "player2"),
      });
      await done.done;
    });
    port(file, "does not share awareness state with users in other documents", async (hp) => {
      const leaked: unknown[] = [];
      const connected = once();
      await hp.provider({
        onConnect: connected.fn,
        [event]: ({ states }: { states: { name?: string }[] }) => {
          if (states.some((s) => s.name === "player2")) leaked.push(states);
        },
      });
      const another: Provider = await hp.provider({
        name: `${hp.name}-completely-different-and-unrelated-document`,
        onConnect: () => another.setAwarenessField("name", "player2"),
      });
      await connected.done;
      await retryable(() => hp.expect(hasName(another, "player2")).toBe(true));
      await sleep(100);
      hp.expect(leaked).toEqual([]);
    });
  }

  port(
    "provider/onAwarenessChange.ts",
    "onAwarenessChange callback is executed, even when no awareness fields are set",
    async (hp) => {
      const done = once<{ states: unknown[] }>();
      const provider = await hp.provider({ onAwarenessChange: done.fn });
      const another: Provider = await hp.provider({
        onConnect() {
          another.setAwarenessField("foo", "bar");
          provider.configuration.websocketProvider.connect();
        },
      });
      hp.expect((await done.done).states.length).toBe(2);
    },
  );

  port(
    "provider/onAwarenessChange.ts",
    "onAwarenessChange callback is executed on provider destroy",
    async (hp) => {
      const done = once<{ states: unknown[] }>();
      const provider: Provider = await hp.provider(
        { onConnect: () => provider.destroy(), onAwarenessChange: done.fn },
        { maxAttempts: 1 },
      );
      hp.expect((await done.done).states.length).toBe(0);
    },
  );

  port(
    "provider/onAwarenessChange.ts",
    "gets the current awareness states from the server",
    async (hp) => {
      const done = once();
      const provider = await hp.provider();
      await hp.provider({
        onAwarenessChange: ({ states }) => {
          if (states.some((s) => s.foo === "bar")) done.fn();
        },
      });
      provider.setAwarenessField("foo", "bar");
      await done.done;
    },
  );

  port("provider/onAwarenessUpdate.ts", "allows awareness to be null", async (hp) => {
    const done = once();
    const provider = await hp.provider({ awareness: null, onConnect: done.fn });
    await done.done;
    await synced(provider);
  });

  port(
    "provider/onAwarenessUpdate.ts",
    "throws an error in setAwarenessFields if awareness is null",
    async (hp) => {
      const done = once<unknown>();
      const provider: Provider = await hp.provider({
        awareness: null,
        onConnect() {
          try {
            provider.setAwarenessField("foo", "bar");
            done.fn(null);
          } catch (err) {
            done.fn(err);
          }
        },
      });
      // AwarenessError (each major has its own class; its code is 1001).
      hp.expect(await done.done).toMatchObject({ code: 1001 });
    },
  );

  // onClose, onConnect, onDisconnect, onMessage, onOpen, onSynced: the callback option and the
  // `on(…)` listener, each once.
  const events = {
    "provider/onClose.ts": [
      "onClose callback is executed",
      "on('close') callback is executed",
      "close",
    ],
    "provider/onConnect.ts": [
      "executes the onConnect callback",
      "executes the on('connect') callback",
      "connect",
    ],
    "provider/onDisconnect.ts": [
      "onDisconnect callback is executed",
      "on('disconnect') callback is executed",
      "disconnect",
    ],
    "provider/onMessage.ts": [
      "executes the onMessage callback",
      "executes the on('message') callback",
      "message",
    ],
    "provider/onOpen.ts": [
      "onOpen callback is executed",
      "on('open') callback is executed",
      "open",
    ],
    "provider/onSynced.ts": [
      "onSynced callback is executed",
      "on('synced') callback is executed",
      "synced",
    ],
  } as const;
  for (const [file, [asOption, asListener, event]] of Object.entries(events)) {
    const option = `on${event[0]!.toUpperCase()}${event.slice(1)}`;
    // onClose and onDisconnect: the test disconnects the socket once connected.
    const disconnects = event === "close" || event === "disconnect";
    const disconnect = (provider: Provider) => {
      provider.configuration.websocketProvider.disconnect();
      if (event === "disconnect") provider.disconnect();
    };
    port(file, asOption, async (hp) => {
      const done = once();
      const provider: Provider = await hp.provider({
        ...(disconnects && { onConnect: () => disconnect(provider) }),
        [option]: () => done.fn(),
      });
      await done.done;
    });
    port(file, asListener, async (hp) => {
      const done = once();
      const provider = await hp.provider();
      if (disconnects) provider.on("connect", () => disconnect(provider));
      provider.on(event, () => done.fn());
      await done.done;
    });
  }

  // Hocuspocus's onStateless hook sees the payload; here the document's other connection does.
  port("provider/onStateless.ts", "executes the onStateless callback", async (hp) => {
    const received = once<string>();
    await hp.provider({ onStateless: ({ payload }) => received.fn(payload) });
    const provider: Provider = await hp.provider({
      onSynced: () => provider.sendStateless("STATELESS-MESSAGE"),
    });
    hp.expect(await received.done).toBe("STATELESS-MESSAGE");
  });

  // Hocuspocus's onLoadDocument puts ["bar"] into the document; here a writer put it there (and
  // stays, as Hocuspocus's server without storage forgets a document nobody has open).
  const loaded = async (hp: Hp) => {
    const writer = await hp.provider();
    writer.document.getArray("foo").insert(0, ["bar"]);
    await retryable(() => hp.expect(writer.hasUnsyncedChanges).toBe(false));
  };
  port(
    "provider/onSynced.ts",
    "onSynced callback is executed when the document is actually synced",
    async (hp) => {
      await loaded(hp);
      const value = once<unknown>();
      const provider: Provider = await hp.provider({
        onSynced: () => value.fn(provider.document.getArray("foo").get(0)),
      });
      hp.expect(await value.done).toBe("bar");
    },
  );

  port("provider/onSynced.ts", "send all messages according to the protocol", async (hp) => {
    await loaded(hp);
    const value = once<unknown>();
    const provider: Provider = await hp.provider({
      onSynced: async () => value.fn(provider.document.getArray("foo").get(0)),
    });
    hp.expect(await value.done).toEqual("bar");
  });
});

const hasName = (p: Provider, name: string) =>
  [...(p.awareness?.getStates().values() ?? [])].some((state) => state.name === name);
