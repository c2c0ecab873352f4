// Hocuspocus's provider tests (github.com/ueberdosis/hocuspocus, tests/provider/*.ts at 3ec6084):
// the events — onAuthenticated, onAuthenticationFailed(Retry), onAwarenessChange/Update, onClose,
// onConnect, onDisconnect, onMessage, onOpen, onStateless, onSynced — ported as
// port-provider.test.ts ports the rest (its header: how, and what is not ported).
import type { Provider } from "./clients";
import { hasState, once, portSuite, readonly, retryable, sleep, synced, type Hp } from "./port";

portSuite((port) => {
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
      await retryable(() => hp.expect(hasState(another, "name", "player2")).toBe(true));
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
