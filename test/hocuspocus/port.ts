// The harness of the port of Hocuspocus's own tests (port-*.test.ts): every case runs with each
// provider major (4.x, 3.x) against four servers — Hocuspocus's own server open and with tokens,
// and edgesync's /hocuspocus on the shared open and token servers — concurrently, each with its
// own document name, sockets and providers (torn down when it ends). A case builds providers as
// Hocuspocus's tests do (`newHocuspocusProvider`: a socket, then a provider attached to it in the
// same turn, named "the test's document" unless told otherwise).
import type * as v4 from "@hocuspocus/provider";
import { afterAll, beforeAll, describe, it, vi, type ExpectStatic } from "vitest";
import WebSocket from "ws";
import type { Role } from "../../tokens/mint";
import { uniqueDocId } from "../helpers/providers";
import { CLIENTS, type ClientLibrary, type Provider, type Socket } from "./clients";
import {
  edgesyncAuth,
  edgesyncOpen,
  hocuspocusOpen,
  hocuspocusServer,
  type RunningTarget,
  type Target,
} from "./targets";

/** Cases running at once in one file: most wait on the network, few on the CPU. */
const CONCURRENT_CASES = 12;

export type Mode = "open" | "tokens";
type ProviderOptions = Partial<v4.HocuspocusProviderConfiguration>;
type SocketOptions = Partial<v4.HocuspocusProviderWebsocketConfiguration>;

export interface Hp {
  /** This case's document name (Hocuspocus's tests all use "hocuspocus-test"). */
  name: string;
  mode: Mode;
  /** "edgesync" or "hocuspocus": for the few cases whose expectations name a difference. */
  backend: "edgesync" | "hocuspocus";
  client: ClientLibrary;
  server: RunningTarget;
  expect: ExpectStatic;
  /** A token for `doc` (this case's document by default) with `role`. */
  token(doc?: string, role?: Role, ttlSeconds?: number): Promise<string>;
  /** A socket, as `newHocuspocusProviderWebsocket` makes one (connecting at once). */
  socket(options?: SocketOptions): Socket;
  /**
   * A provider as `newHocuspocusProvider` makes one: on `options.websocketProvider` or a new
   * socket, attached; `token` defaults to a write token for its document (`null`: none).
   */
  provider(options?: ProviderOptions, socketOptions?: SocketOptions): Promise<Provider>;
  /** A raw `ws` socket on the server's URL, open. */
  raw(): Promise<WebSocket>;
}

interface CaseOptions {
  /** The modes the case applies to (default both). */
  modes?: Mode[];
  /** 4.x only (an option or behaviour 3.x providers lack). */
  v4?: boolean;
  /** No provider involved (raw frames): run once per server, with the first major only. */
  raw?: boolean;
}

type Case = (file: string, title: string, ...rest: [CaseOptions, Body] | [Body]) => void;
type Body = (hp: Hp) => Promise<void>;

const MATRIX: { target: Target; mode: Mode; backend: Hp["backend"] }[] = [
  { target: hocuspocusOpen, mode: "open", backend: "hocuspocus" },
  { target: hocuspocusServer, mode: "tokens", backend: "hocuspocus" },
  { target: edgesyncOpen, mode: "open", backend: "edgesync" },
  { target: edgesyncAuth, mode: "tokens", backend: "edgesync" },
];

/** Registers the cases `define` declares, once per server, mode and provider major. */
export function portSuite(define: (port: Case) => void): void {
  vi.setConfig({ maxConcurrency: CONCURRENT_CASES });
  // Concurrent at every level: the servers, the majors and the cases all run at once.
  describe.concurrent.each(MATRIX)("$target.name", ({ target, mode, backend }) => {
    let server: RunningTarget;
    beforeAll(async () => {
      server = await target.start();
    });
    afterAll(() => server?.stop());
    describe.concurrent.each(CLIENTS)("$name", (client) => {
      const v3 = client.name.includes("3.x");
      const first = client === CLIENTS[0];
      define((file, title, ...rest) => {
        const [options, body] = rest.length === 1 ? [{}, rest[0]] : rest;
        const applies =
          (options.modes ?? ["open", "tokens"]).includes(mode) &&
          !(options.v4 && v3) &&
          !(options.raw && !first);
        (applies ? it.concurrent : it.skip)(
          `${file}: ${title}`,
          async ({ expect, onTestFinished }) => {
            const teardown: (() => void)[] = [];
            onTestFinished(() => teardown.reverse().forEach((f) => f()));
            await body(harness(server, client, mode, backend, expect, teardown));
          },
        );
      });
    });
  });
}

function harness(
  server: RunningTarget,
  client: ClientLibrary,
  mode: Mode,
  backend: Hp["backend"],
  expect: ExpectStatic,
  teardown: (() => void)[],
): Hp {
  const name = uniqueDocId("hocuspocus-test");
  const hp: Hp = {
    name,
    mode,
    backend,
    client,
    server,
    expect,
    token: (doc = name, role = "write", ttl) => server.tokenFor(doc, role, ttl),
    socket(options = {}) {
      const socket = new client.HocuspocusProviderWebsocket({
        url: server.url,
        WebSocketPolyfill: WebSocket,
        ...options,
      });
      teardown.push(() => socket.destroy());
      return socket;
    },
    async provider(options = {}, socketOptions = {}) {
      const doc = options.name ?? name;
      // Resolved first, so the socket and provider are made in one turn, as Hocuspocus's do.
      const token = options.token !== undefined ? options.token : await hp.token(doc);
      const provider = new client.HocuspocusProvider({
        name: doc,
        ...options,
        token,
        websocketProvider: options.websocketProvider ?? hp.socket(socketOptions),
      });
      provider.attach();
      teardown.push(() => provider.destroy());
      return provider;
    },
    raw: () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(server.url);
        ws.binaryType = "arraybuffer";
        teardown.push(() => ws.close());
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      }),
  };
  return hp;
}

/** Resolves once `p` is synced. */
export const synced = (p: Provider) => retryable(() => must(p.isSynced, "synced"));
/** Resolves once `p` is synced and the server acknowledged every change it sent. */
export const saved = (p: Provider) =>
  retryable(() => must(p.isSynced && !p.hasUnsyncedChanges, "saved"));
function must(value: boolean, what: string) {
  if (!value) throw new Error(`not ${what}`);
}

/** A read-only provider for the case's document. */
export const readonly = async (hp: Hp, options: Parameters<Hp["provider"]>[0] = {}) =>
  hp.provider({ token: await hp.token(hp.name, "read"), ...options });

/** Whether `p` knows an awareness state with `key` set to `value`. */
export const hasState = (p: Provider, key: string, value: unknown) =>
  [...(p.awareness?.getStates().values() ?? [])].some((state) => state[key] === value);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hocuspocus's `retryableAssertion`: retries `check` until it stops throwing (or times out). */
export async function retryable(check: () => void, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** Resolves with the first call of a callback the case hands to a provider. */
export function once<T = unknown>(): { fn: (value?: T) => void; done: Promise<T> } {
  let fn!: (value?: T) => void;
  const done = new Promise<T>((resolve) => (fn = (value) => resolve(value as T)));
  return { fn, done };
}
