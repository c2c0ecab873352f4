// Hocuspocus's tests/server/onTokenSync.ts (github.com/ueberdosis/hocuspocus at 3ec6084), ported
// to what a client observes (see port.ts). Hocuspocus's tests call `connection.requestToken()`
// by hand; here the server asks when the document's token expires — edgesync's relay does so
// when the document's object closes the expired socket, and Hocuspocus's server in port.ts is
// configured to do the same at `exp`. Its `onTokenSync` checks the fresh token as edgesync checks
// it. Token checks only: nothing here applies to open access.
//
// Not ported: "provider sendToken: executes onTokenSync from custom extension when provider sends
// token", "… has access to full payload …", "server requestToken: executes onTokenSync from
// custom extension …": they assert on a hook's payload.
import type { Provider } from "./clients";
import { once, portSuite, retryable, type Hp } from "./port";

/** Life of a short token: long enough to authenticate on a loaded machine, short to wait for. */
const SHORT_TTL_SECONDS = 5;
/** How long a refresh may take (expiry, token request, check, re-attach). */
const REFRESH_MS = 60_000;
const file = "server/onTokenSync.ts";
const tokens = { modes: ["tokens" as const] };

/** A `token` function minting a short-lived token for `doc` per call (`wrongAfter`: then another document's). */
function shortTokens(
  hp: Hp,
  doc = hp.name,
  role: "read" | "write" = "write",
  wrongAfter = Infinity,
) {
  const minted = {
    calls: 0,
    fn: () => {
      minted.calls++;
      const name = minted.calls > wrongAfter ? `${doc}-elsewhere` : doc;
      return hp.token(name, role, SHORT_TTL_SECONDS);
    },
  };
  return minted;
}

/** Counts the events that show a document noticed anything. */
function watch(p: Provider) {
  const seen: string[] = [];
  p.on("authenticated", () => seen.push("authenticated"));
  p.on("authenticationFailed", () => seen.push("refused"));
  p.on("close", ({ event }: { event: CloseEvent }) => seen.push(`close ${event.reason}`));
  return seen;
}

/** An edit made after the refresh reaches a reader of the document, and is acknowledged. */
async function carriesOn(hp: Hp, p: Provider, text: string) {
  p.document.getText("t").insert(0, text);
  const reader = await hp.provider({ name: p.configuration.name });
  await retryable(() => hp.expect(reader.document.getText("t").toString()).toContain(text));
  await retryable(() => hp.expect(p.hasUnsyncedChanges).toBe(false));
}

const refreshed = (hp: Hp, minted: { calls: number }, calls = 2) =>
  retryable(() => hp.expect(minted.calls).toBeGreaterThanOrEqual(calls), REFRESH_MS);

portSuite((port) => {
  port(
    file,
    "server requestToken: executes onTokenSync when server requests token after authentication",
    tokens,
    async (hp) => {
      const minted = shortTokens(hp);
      const provider = await hp.provider({ token: minted.fn });
      await retryable(() => hp.expect(provider.isSynced).toBe(true));
      const seen = watch(provider);
      await refreshed(hp, minted);
      await carriesOn(hp, provider, "after the refresh");
      hp.expect(seen).toEqual([]);
    },
  );

  port(
    file,
    "server requestToken: onTokenSync receives correct token when server requests it",
    tokens,
    async (hp) => {
      const updated = await hp.token();
      const authenticated = once();
      // Hocuspocus's test sets the updated token as a string; a function returning it counts asks.
      let asked = 0;
      const provider: Provider = await hp.provider({
        token: () => hp.token(hp.name, "write", SHORT_TTL_SECONDS),
        onAuthenticated() {
          provider.configuration.token = () => (asked++, updated);
          authenticated.fn();
        },
      });
      await authenticated.done;
      const seen = watch(provider);
      // The first token expired: the server asked, and took the updated token.
      await retryable(() => hp.expect(asked).toBe(1), REFRESH_MS);
      await carriesOn(hp, provider, "with the updated token");
      hp.expect(seen).toEqual([]);
    },
  );

  port(
    file,
    "server requestToken: onTokenSync works with multiple documents when server requests tokens",
    tokens,
    async (hp) => {
      const socket = hp.socket();
      const names = [`${hp.name}-document1`, `${hp.name}-document2`];
      const minted = names.map((name) => shortTokens(hp, name));
      const providers = await Promise.all(
        names.map((name, i) =>
          hp.provider({ websocketProvider: socket, name, token: minted[i]!.fn }),
        ),
      );
      await retryable(() => hp.expect(providers.every((p) => p.isSynced)).toBe(true));
      const seen = providers.map(watch);
      await Promise.all(minted.map((m) => refreshed(hp, m)));
      await Promise.all(providers.map((p, i) => carriesOn(hp, p, `document ${i + 1}`)));
      hp.expect(seen).toEqual([[], []]);
    },
  );

  port(
    file,
    "server requestToken: onTokenSync works with readonly connections when server requests token",
    tokens,
    async (hp) => {
      const minted = shortTokens(hp, hp.name, "read");
      const reader = await hp.provider({ token: minted.fn });
      await retryable(() => hp.expect(reader.isSynced).toBe(true));
      hp.expect(reader.authorizedScope).toBe("readonly");
      const seen = watch(reader);
      await refreshed(hp, minted);
      // Still read-only: its edit is refused, a writer's reaches it.
      reader.document.getMap("m").set("forged", true);
      const writer = await hp.provider();
      writer.document.getText("t").insert(0, "from the writer");
      await retryable(() =>
        hp.expect(reader.document.getText("t").toString()).toBe("from the writer"),
      );
      await retryable(() => hp.expect(writer.hasUnsyncedChanges).toBe(false));
      hp.expect(reader.hasUnsyncedChanges).toBe(true);
      hp.expect(writer.document.getMap("m").get("forged")).toBeUndefined();
      hp.expect(seen).toEqual([]);
    },
  );

  port(
    file,
    "server requestToken: failure of onTokenSync should close the connection",
    tokens,
    async (hp) => {
      const minted = shortTokens(hp, hp.name, "write", 1);
      const closed = once<string>();
      await hp.provider({ token: minted.fn, onClose: ({ event }) => closed.fn(event.reason) });
      hp.expect(await closed.done).toBe("Unauthorized");
    },
  );

  // Hocuspocus hands a token the provider sends by itself to onTokenSync; edgesync has nothing to
  // change on an authenticated document and ignores it. Either way the document carries on.
  port(
    file,
    "provider sendToken: onTokenSync receives correct token from provider after authentication",
    tokens,
    async (hp) => {
      const updated = await hp.token();
      const provider: Provider = await hp.provider({
        onAuthenticated() {
          provider.configuration.token = updated;
          provider.sendToken();
        },
      });
      await retryable(() => hp.expect(provider.isSynced).toBe(true));
      const seen = watch(provider);
      await carriesOn(hp, provider, "after sendToken");
      hp.expect(seen).toEqual([]);
    },
  );

  port(
    file,
    "provider sendToken: onTokenSync works with multiple providers sending tokens",
    tokens,
    async (hp) => {
      const socket = hp.socket();
      const names = [`${hp.name}-document1`, `${hp.name}-document2`];
      const providers = await Promise.all(
        names.map(async (name) => {
          const provider: Provider = await hp.provider({
            websocketProvider: socket,
            name,
            onAuthenticated: () => provider.sendToken(),
          });
          return provider;
        }),
      );
      await retryable(() => hp.expect(providers.every((p) => p.isSynced)).toBe(true));
      const seen = providers.map(watch);
      await Promise.all(providers.map((p, i) => carriesOn(hp, p, `document ${i + 1}`)));
      hp.expect(seen).toEqual([[], []]);
    },
  );
});
