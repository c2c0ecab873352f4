// Hocuspocus's provider tests (github.com/ueberdosis/hocuspocus, tests/provider/*.ts at 3ec6084),
// ported to what a client observes, each run by test/hocuspocus/port.ts against Hocuspocus's own
// server and edgesync's /hocuspocus, open and with tokens, with providers 4.x and 3.x. Every
// case names the Hocuspocus file and test it mirrors. Where its server is configured by a hook,
// the case uses our equivalent (a read token for `connectionConfig.readOnly = true`, a token for
// another document for a hook that throws, content written first for an `onLoadDocument` that
// fills the document); "tokens" cases need token checks, so they do not run with open access.
// The event tests (onAuthenticated … onSynced) are port-events.test.ts.
//
// Not ported (nothing a server does can change their outcome, or they need a hook we lack):
// - providerwebsocket/configuration.ts (2): read a configuration field; no server involved.
// - providerwebsocket/messageQueueDeduplication.ts (6): `autoConnect: false`, never connects.
// - provider/onSynced.ts "onSynced callback is executed, even when the onConnect takes longer"
//   and "… when the document is actually synced, even if it takes longer": the delay is a server
//   hook's (edgesync has none); the content half is "… when the document is actually synced".
import * as Y from "yjs";
import type { Provider } from "./clients";
import { hasState, once, portSuite, readonly, retryable, sleep, synced, type Hp } from "./port";

const AWARENESS_MESSAGE = "Awareness states update";
const hasFoo = (p: Provider) => hasState(p, "foo", "bar");
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

  // flushDelay.ts: what the provider sends once synced, counted as Hocuspocus counts it.
  const counted = async (hp: Hp, description: string, options: Parameters<Hp["provider"]>[0]) => {
    const sent = { count: 0 };
    const provider = await hp.provider({
      ...options,
      onOutgoingMessage({ message }) {
        if (message.description === description) sent.count++;
      },
    });
    await synced(provider);
    await sleep(100);
    sent.count = 0; // whatever the handshake sent
    return { provider, sent };
  };
  port(
    "provider/flushDelay.ts",
    "batches rapid document updates into a single outgoing message",
    { v4: true },
    async (hp) => {
      const { provider, sent } = await counted(hp, "A document update", {
        awareness: null,
        flushDelay: 100,
      });
      const map = provider.document.getMap("test");
      [..."abc"].forEach((key, i) => map.set(key, i + 1));
      hp.expect(sent.count).toBe(0);
      // Hocuspocus sleeps 300 ms; on a loaded machine the flush may come later, so wait for it.
      await retryable(() => hp.expect(sent.count).toBeGreaterThan(0));
      await sleep(200);
      hp.expect(sent.count).toBe(1);
    },
  );

  port(
    "provider/flushDelay.ts",
    "sends one message per update when flushDelay is disabled",
    { v4: true },
    async (hp) => {
      const { provider, sent } = await counted(hp, "A document update", { awareness: null });
      const map = provider.document.getMap("test");
      [..."abc"].forEach((key, i) => map.set(key, i + 1));
      await sleep(100);
      hp.expect(sent.count).toBe(3);
    },
  );

  port(
    "provider/flushDelay.ts",
    "collapses rapid awareness changes into a single outgoing message",
    { v4: true },
    async (hp) => {
      const { provider, sent } = await counted(hp, "Awareness states update", { flushDelay: 100 });
      [1, 2, 3].forEach((cursor) => provider.setAwarenessField("cursor", cursor));
      await retryable(() => hp.expect(sent.count).toBeGreaterThan(0));
      await sleep(200);
      hp.expect(sent.count).toBe(1);
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
});
