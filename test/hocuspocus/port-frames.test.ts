// Hocuspocus's server tests (github.com/ueberdosis/hocuspocus, tests/server/*.ts at 3ec6084) that
// send raw frames or use session-aware providers: broadcastStatelessBypass, websocketError,
// unauthenticatedQueueLimit, sessionAwareness (4.x), broadcastEncoding (4.x) and flushDelay,
// ported as port-server.test.ts ports the rest (its header: how, and what is not ported).
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import type WebSocket from "ws";
import type { Provider } from "./clients";
import { once, portSuite, retryable, saved, sleep, synced, type Hp } from "./port";

const Type = { Auth: 2, Stateless: 5, BroadcastStateless: 6 } as const;

function frame(address: string, type: number, write?: (e: encoding.Encoder) => void) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, address);
  encoding.writeVarUint(e, type);
  write?.(e);
  return encoding.toUint8Array(e);
}
const authFrame = (address: string, token: string) =>
  frame(address, Type.Auth, (e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, token);
  });
const statelessFrame = (address: string, size: number, type: number = Type.Stateless) =>
  frame(address, type, (e) => encoding.writeVarString(e, "A".repeat(size)));

const closeCode = (ws: WebSocket, ms = 60_000) =>
  new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not close the socket")), ms);
    ws.once("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
/** A raw socket on which `address` is authenticated (its first answer received). */
async function authenticated(hp: Hp, address: string, role: "read" | "write" = "write") {
  const ws = await hp.raw();
  const answered = new Promise((r) => ws.once("message", r));
  ws.send(authFrame(address, await hp.token(hp.name, role)));
  await answered;
  return ws;
}
const addressOf = (data: ArrayBuffer) =>
  decoding.readVarString(decoding.createDecoder(new Uint8Array(data)));

portSuite((port) => {
  port(
    "server/broadcastStatelessBypass.ts",
    "rejects client-sent BroadcastStateless (opcode 6) — payload must not reach peers",
    async (hp) => {
      const received: string[] = [];
      const victim = await hp.provider({ onStateless: ({ payload }) => received.push(payload) });
      await synced(victim);
      const attacker = await authenticated(hp, hp.name, hp.mode === "tokens" ? "read" : "write");
      const payload = '{"spoof":"server-system-banner","marker":"LITMUS"}';
      attacker.send(
        frame(hp.name, Type.BroadcastStateless, (e) => encoding.writeVarString(e, payload)),
      );
      await sleep(200);
      hp.expect(received).not.toContain(payload);
    },
  );

  port(
    "server/websocketError.ts",
    "does not crash when malformed message is sent pre-authentication",
    async (hp) => {
      const socket = hp.socket();
      const closed = once<number>();
      const destroyed = once();
      const provider: Provider = await hp.provider({
        websocketProvider: socket,
        onClose({ event }) {
          closed.fn(event.code);
          provider.destroy();
        },
        onDestroy: destroyed.fn,
      });
      // Only into an open socket: after the close the provider may be dialling again.
      const send = () => socket.webSocket?.readyState === 1 && socket.webSocket.send("ϩ");
      const interval = setInterval(send, 500);
      try {
        hp.expect(await closed.done).toBe(4401);
        await destroyed.done;
      } finally {
        clearInterval(interval);
      }
    },
  );

  // Hocuspocus's tests set small limits; these use the defaults both servers share (1,000 frames,
  // 5 MiB, 100 documents awaiting authentication, all of the socket's documents together).
  const limits = "server/unauthenticatedQueueLimit.ts";
  port(
    limits,
    "closes an unauthenticated connection that exceeds the pre-auth message-count limit",
    { raw: true },
    async (hp) => {
      const attacker = await hp.raw();
      const closed = closeCode(attacker);
      for (let i = 0; i <= 1_000; i++) attacker.send(statelessFrame("queue-count-doc", 16));
      hp.expect(await closed).toBe(4205);
    },
  );

  port(
    limits,
    "closes an unauthenticated connection that exceeds the pre-auth byte limit",
    { raw: true },
    async (hp) => {
      const attacker = await hp.raw();
      const closed = closeCode(attacker);
      // Each frame carries 64 KiB; the 81st crosses 5 MiB.
      for (let i = 0; i < 90; i++) attacker.send(statelessFrame("queue-bytes-doc", 64 * 1024));
      hp.expect(await closed).toBe(4205);
    },
  );

  port(
    limits,
    "closes an unauthenticated connection that opens too many pending documents",
    { raw: true },
    async (hp) => {
      const attacker = await hp.raw();
      const closed = closeCode(attacker);
      for (let i = 0; i <= 100; i++) attacker.send(statelessFrame(`pending-doc-${i}`, 16));
      hp.expect(await closed).toBe(4205);
    },
  );

  port(
    limits,
    "does not close an authenticated connection that later exceeds the pre-auth limits",
    { raw: true },
    async (hp) => {
      const attacker = await authenticated(hp, hp.name);
      let closedEarly = false;
      attacker.once("close", () => (closedEarly = true));
      for (let i = 0; i < 1_100; i++) attacker.send(statelessFrame(hp.name, 16));
      await sleep(300);
      hp.expect(closedEarly).toBe(false);
    },
  );

  const session = "server/sessionAwareness.ts";
  port(
    session,
    "sessionAwareness: two providers with same doc name both connect successfully",
    { v4: true },
    async (hp) => {
      const socket = hp.socket();
      const options = { websocketProvider: socket, sessionAwareness: true };
      const [p1, p2] = [await hp.provider(options), await hp.provider(options)];
      await retryable(() =>
        hp.expect([p1.isAuthenticated, p2.isAuthenticated]).toEqual([true, true]),
      );
    },
  );

  port(
    session,
    "sessionAwareness: auth failure isolation - provider A fails, provider B succeeds",
    { v4: true, modes: ["tokens"] },
    async (hp) => {
      const socket = hp.socket();
      const events: string[] = [];
      const providerFail = await hp.provider({
        websocketProvider: socket,
        sessionAwareness: true,
        token: await hp.token("another"),
        onAuthenticated: () => events.push("fail authenticated"),
      });
      const providerOK = await hp.provider({
        websocketProvider: socket,
        sessionAwareness: true,
        onAuthenticationFailed: () => events.push("ok refused"),
      });
      await retryable(() => {
        hp.expect(providerFail.isAuthenticated).toBe(false);
        hp.expect(providerOK.isAuthenticated).toBe(true);
      });
      hp.expect(events).toEqual([]);
    },
  );

  port(
    session,
    "sessionAwareness: false - two providers with same name on same socket throws when first is authenticated",
    { v4: true },
    async (hp) => {
      const socket = hp.socket();
      const provider1 = await hp.provider({ websocketProvider: socket, sessionAwareness: false });
      await retryable(() => hp.expect(provider1.isAuthenticated).toBe(true));
      const token = await hp.token();
      await hp
        .expect(hp.provider({ websocketProvider: socket, sessionAwareness: false, token }))
        .rejects.toThrow();
    },
  );

  // Both capture what the provider sends from then on (its socket's `send`).
  const capture = (socket: ReturnType<Hp["socket"]>) => {
    const sent: string[] = [];
    const original = socket.webSocket!.send.bind(socket.webSocket!);
    socket.webSocket!.send = (data: ArrayBuffer) => {
      sent.push(addressOf(new Uint8Array(data).slice().buffer));
      original(data);
    };
    return sent;
  };
  port(
    session,
    "sessionAwareness: all outgoing messages from provider include sessionId in routing key",
    { v4: true },
    async (hp) => {
      const socket = hp.socket();
      const provider = await hp.provider({ websocketProvider: socket, sessionAwareness: true });
      await synced(provider);
      const sent = capture(socket);
      provider.document.getMap("test").set("key", "value");
      await retryable(() => hp.expect(sent.length).toBeGreaterThan(0));
      for (const key of sent) hp.expect(key).toMatch(new RegExp(`^${hp.name}\\0.+`));
    },
  );

  port(
    session,
    "sessionAwareness: SyncStep2 reply includes sessionId in routing key",
    { v4: true },
    async (hp) => {
      const socket = hp.socket();
      const provider = await hp.provider({ websocketProvider: socket, sessionAwareness: true });
      await synced(provider);
      const sent = capture(socket);
      // Step 1 → the server's step 1 → the provider's step 2, all under the session's key.
      provider.forceSync();
      await retryable(() => hp.expect(sent.length).toBeGreaterThanOrEqual(2));
      for (const key of sent) hp.expect(key).toMatch(new RegExp(`^${hp.name}\\0.+`));
      await saved(provider);
    },
  );

  port(
    session,
    "sessionAwareness: providers with different doc names still work without sessionAwareness",
    { v4: true },
    async (hp) => {
      const socket = hp.socket();
      const p1 = await hp.provider({ websocketProvider: socket, name: `${hp.name}-1` });
      const p2 = await hp.provider({ websocketProvider: socket, name: `${hp.name}-2` });
      await retryable(() =>
        hp.expect([p1.isAuthenticated, p2.isAuthenticated]).toEqual([true, true]),
      );
    },
  );

  // broadcastEncoding.ts checks it on the Document; a client sees it as every provider — by
  // session key or plain name, on one socket — receiving the broadcasts meant for it.
  port(
    "server/broadcastEncoding.ts",
    "addresses every broadcast message to the receiving connection",
    { v4: true },
    async (hp) => {
      const socket = hp.socket();
      const receivers = [
        await hp.provider({ websocketProvider: socket, sessionAwareness: true }),
        await hp.provider({ websocketProvider: hp.socket() }),
        await hp.provider({ websocketProvider: socket, sessionAwareness: true }),
      ];
      await Promise.all(receivers.map(synced));
      const writer = await hp.provider({ sessionAwareness: true });
      await synced(writer);
      writer.document.getMap("test").set("foo", "bar");
      writer.setAwarenessField("foo", "bar");
      await retryable(() => {
        for (const r of receivers) {
          hp.expect(r.document.getMap("test").get("foo")).toBe("bar");
          hp.expect(r.awareness!.getStates().get(writer.document.clientID)?.foo).toBe("bar");
        }
      });
    },
  );

  port(
    "server/flushDelay.ts",
    "a batching server still converges on connected clients",
    async (hp) => {
      const writer = await hp.provider();
      const reader = await hp.provider();
      await synced(reader);
      const map = writer.document.getMap("test");
      [..."abc"].forEach((key, i) => map.set(key, i + 1));
      await retryable(() =>
        hp.expect(reader.document.getMap("test").toJSON()).toEqual({ a: 1, b: 2, c: 3 }),
      );
    },
  );
});
