// An `authorize` hook installed the way the docs install one — `app.use(auth.middleware)` in
// front of the mount — decides every relay channel too: /mux channels and /hocuspocus documents
// are opened through the mount's own /sync route with the Auth of the relay's socket and the
// client's own headers (here an API key). Without that, channels authenticated with the mount's
// options (none here: every channel refused 4503). A slow hook does not let a /hocuspocus client
// make the Worker hold frames without limit while it decides.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createAuth, createEdgesync, type AppEnv } from "edgesync/server";
import { Hono } from "hono";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../../protocol/close-codes";
import { AuthType, HocuspocusType, decodeFrame } from "../../../protocol/hocuspocus";
import { MuxServerKind, decodeClose, decodeMuxFrame, encodeOpen } from "../../../protocol/mux";

const API_KEY = "k-1";
/** Resolves the hook's pending decisions; replaced by a test that holds the hook. */
let hookGate: Promise<void> = Promise.resolve();

const auth = createAuth({
  authorize: async (request) => {
    await hookGate;
    return request.headers.get("X-Api-Key") === API_KEY
      ? { role: "write" }
      : { refuse: 401, message: "no API key" };
  },
});
const app = new Hono<AppEnv>();
app.use(auth.middleware);
app.route("/collab", createEdgesync({ bindings: { documents: "COLLAB_DOCS", db: "APP_DB" } }));

let counter = 0;
const noteId = () => `notes-relay-${Date.now().toString(36)}-${counter++}`;

/** A WebSocket opened through `app`, its messages collected. */
async function open(path: string, headers: Record<string, string>) {
  const res = await app.fetch(
    new Request(`https://example.test${path}`, { headers: { Upgrade: "websocket", ...headers } }),
    env,
    createExecutionContext(),
  );
  const ws = res.webSocket!;
  expect(res.status).toBe(101);
  (ws as unknown as { binaryType: string }).binaryType = "arraybuffer";
  ws.accept();
  const messages: Uint8Array[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.addEventListener("message", (e) => messages.push(new Uint8Array(e.data as ArrayBuffer)));
  ws.addEventListener("close", (e) => (closed = { code: e.code, reason: e.reason }));
  const waitFor = async (match: (m: Uint8Array) => boolean): Promise<Uint8Array> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = messages.find(match);
      if (found) return found;
      if (closed) throw new Error(`closed ${closed.code} ${closed.reason}`);
      if (Date.now() > deadline) throw new Error("nothing matched in 5 s");
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const whenClosed = async () => {
    const deadline = Date.now() + 5_000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return closed;
  };
  return { ws, waitFor, whenClosed };
}

const muxAnswer = (channel: number) => (m: Uint8Array) => {
  const f = decodeMuxFrame(m);
  return (
    f.channel === channel && (f.kind === MuxServerKind.Opened || f.kind === MuxServerKind.Closed)
  );
};

function hocuspocusFrame(address: string, type: number, write: (e: encoding.Encoder) => void) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, address);
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}
const authFrame = (address: string) =>
  hocuspocusFrame(address, HocuspocusType.Auth, (e) => {
    encoding.writeVarUint(e, AuthType.Token);
    encoding.writeVarString(e, "");
  });
const authAnswer = (m: Uint8Array) => {
  const frame = decodeFrame(m);
  if (frame.type !== HocuspocusType.Auth) return null;
  return decoding.readVarUint(decoding.createDecoder(frame.payload));
};

describe("a middleware-installed authorize hook on the relays", () => {
  it("decides /mux channels with the client's own headers", async () => {
    const allowed = await open("/collab/mux", { "X-Api-Key": API_KEY });
    allowed.ws.send(encodeOpen(1, noteId(), ""));
    const opened = decodeMuxFrame(await allowed.waitFor(muxAnswer(1)));
    if (opened.kind === MuxServerKind.Closed)
      throw new Error(`refused: ${JSON.stringify(decodeClose(opened.payload))}`);
    expect(opened.kind).toBe(MuxServerKind.Opened);

    const refused = await open("/collab/mux", {});
    refused.ws.send(encodeOpen(1, noteId(), ""));
    const closed = decodeMuxFrame(await refused.waitFor(muxAnswer(1)));
    expect(closed.kind).toBe(MuxServerKind.Closed);
    expect(decodeClose(closed.payload)).toMatchObject({ code: CloseCode.Unauthenticated });
  });

  it("decides /hocuspocus documents with the client's own headers", async () => {
    const allowed = await open("/collab/hocuspocus", { "X-Api-Key": API_KEY });
    allowed.ws.send(authFrame(noteId()));
    expect(authAnswer(await allowed.waitFor((m) => authAnswer(m) !== null))).toBe(
      AuthType.Authenticated,
    );
    const refused = await open("/collab/hocuspocus", {});
    refused.ws.send(authFrame(noteId()));
    expect(authAnswer(await refused.waitFor((m) => authAnswer(m) !== null))).toBe(
      AuthType.PermissionDenied,
    );
  });

  it("closes a /hocuspocus socket with 4205 past 5 MiB held while the hook decides", async () => {
    let release!: () => void;
    hookGate = new Promise((resolve) => (release = resolve));
    try {
      const socket = await open("/collab/hocuspocus", { "X-Api-Key": API_KEY });
      const doc = noteId();
      socket.ws.send(authFrame(doc));
      const chunk = new Uint8Array(512 * 1024);
      // 6 MiB of sync updates for a document whose Auth is still being decided.
      for (let i = 0; i < 12; i++) {
        socket.ws.send(
          hocuspocusFrame(doc, HocuspocusType.Sync, (e) => {
            encoding.writeVarUint(e, 2);
            encoding.writeVarUint8Array(e, chunk);
          }),
        );
      }
      expect(await socket.whenClosed()).toEqual({ code: 4205, reason: "Reset Connection" });
    } finally {
      release();
      hookGate = Promise.resolve();
    }
  });
});
