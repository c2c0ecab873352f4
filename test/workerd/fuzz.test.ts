// Seeded fuzzing against a real Durable Object: thousands of hostile frames. No exception
// escapes, each offending socket gets a documented close code, an honest client keeps
// syncing, and the stored document is exactly the honest edits plus the frames the server
// acknowledged as valid writes (nothing else changed it).
import { describe, expect, it } from "vitest";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { MessageType, SyncType, encodeSaved, encodeSyncUpdate } from "../../protocol/messages";
import { awarenessFrame, rawFrame } from "../helpers/frames";
import { SyncedDoc, openSocket, uniqueDocId, type TestSocket } from "../helpers/workerd-socket";

const FRAMES = 2500;
const SEED = 20261128;
/** Sockets are replaced after this many frames to stay under the per-socket rate limit. */
const FRAMES_PER_SOCKET = 100;
/**
 * Forged awareness clocks start here: above any room clock the server forwards (those start at
 * the Unix second: PROTOCOL.md), so they would change the honest client's state; lower ones
 * are indistinguishable from echoes and are dropped.
 */
const FORGED_CLOCK = 4_000_000_000;
const DOCUMENTED = new Set<number>([
  CloseCode.MessageTooBig,
  CloseCode.ProtocolError,
  CloseCode.Forbidden,
  CloseCode.DocumentTooLarge,
  CloseCode.RateLimited,
]);

function prng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
  };
}

type Fuzz = ReturnType<typeof prng>;

let nextClientId = 1_000_000;
/** A valid update from a fresh client id (two different updates under one id would conflict). */
function validUpdate(rnd: Fuzz): Uint8Array {
  const d = new Y.Doc();
  d.clientID = nextClientId++;
  const kind = rnd.int(3);
  if (kind === 0) d.getText("t").insert(0, "fz" + rnd.int(1e6));
  else if (kind === 1) d.getMap("m").set("k" + rnd.int(10), rnd.int(100));
  else d.getArray("a").insert(0, [rnd.int(100), "x"]);
  return Y.encodeStateAsUpdate(d);
}

function mutate(rnd: Fuzz, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const flips = 1 + rnd.int(3);
  for (let i = 0; i < flips && out.length > 0; i++) out[rnd.int(out.length)] = rnd.int(256);
  return out;
}

function hostileFrame(rnd: Fuzz, honestAwarenessId: number): { frame: Uint8Array; kind: string } {
  switch (rnd.int(9)) {
    case 0:
      return { kind: "random", frame: rnd.bytes(rnd.int(64)) };
    case 1: {
      const full = encodeSyncUpdate(validUpdate(rnd));
      return { kind: "truncated", frame: full.slice(0, rnd.int(full.length)) };
    }
    case 2:
      return {
        kind: "overflowing varint",
        frame: Uint8Array.from([...Array(10 + rnd.int(5)).fill(0xff), 0x01]),
      };
    case 3:
      return {
        kind: "lying length",
        frame: rawFrame((e) => {
          encoding.writeVarUint(e, MessageType.Sync);
          encoding.writeVarUint(e, SyncType.Update);
          encoding.writeVarUint(e, 1000 + rnd.int(1e6));
          encoding.writeUint8Array(e, rnd.bytes(rnd.int(20)));
        }),
      };
    case 4: {
      let type = 4 + rnd.int(250);
      if (type === MessageType.Saved) type++;
      return {
        kind: "unknown type",
        frame: rawFrame((e) => {
          encoding.writeVarUint(e, type);
          encoding.writeUint8Array(e, rnd.bytes(rnd.int(8)));
        }),
      };
    }
    case 5:
      return { kind: "mutated update", frame: mutate(rnd, encodeSyncUpdate(validUpdate(rnd))) };
    case 6:
      return {
        kind: "mutated awareness",
        frame: mutate(rnd, awarenessFrame(5000 + rnd.int(100), 1 + rnd.int(5), { n: rnd.int(9) })),
      };
    case 7:
      return {
        kind: "foreign awareness",
        frame: awarenessFrame(honestAwarenessId, FORGED_CLOCK + rnd.int(1000), { forged: true }),
      };
    default:
      return { kind: "valid update", frame: encodeSyncUpdate(validUpdate(rnd)) };
  }
}

/** Whether the frame is a sync step 2 / update the server would apply (for the model). */
function syncPayload(frame: Uint8Array): Uint8Array | null {
  try {
    const d = decoding.createDecoder(frame);
    if (decoding.readVarUint(d) !== MessageType.Sync) return null;
    const t = decoding.readVarUint(d);
    if (t !== SyncType.Step2 && t !== SyncType.Update) return null;
    return decoding.readVarUint8Array(d);
  } catch {
    return null;
  }
}

/** Sends a frame then a saved probe; resolves "accepted" on the echo or the close code. */
async function probe(
  socket: TestSocket,
  frame: Uint8Array,
  n: number,
): Promise<"accepted" | number> {
  const echo = encodeSaved(n);
  socket.send(frame);
  socket.send(echo);
  try {
    await socket.waitFor((m) => m.length === echo.length && m.every((b, i) => b === echo[i]), 5000);
    return "accepted";
  } catch {
    return (await socket.closed).code;
  }
}

describe("fuzz", () => {
  it(`survives ${FRAMES} seeded hostile frames`, async () => {
    const rnd = prng(SEED);
    const docId = uniqueDocId("fuzz");
    const honest = await SyncedDoc.open(docId);
    const HONEST_ID = 42;
    honest.socket.send(awarenessFrame(HONEST_ID, 1, { name: "honest" }));
    const model = new Y.Doc();
    let socket = await openSocket(`/sync/${docId}`);
    let sent = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < FRAMES; i++) {
      if (i % 250 === 0) honest.doc.getText("t").insert(0, `h${i} `);
      const { frame, kind } = hostileFrame(rnd, HONEST_ID);
      const result = await probe(socket, frame, i);
      if (result === "accepted") {
        const payload = syncPayload(frame);
        if (payload) Y.applyUpdate(model, payload);
        if (++sent >= FRAMES_PER_SOCKET) {
          socket.ws.close(1000);
          socket = await openSocket(`/sync/${docId}`);
          sent = 0;
        }
      } else {
        expect(DOCUMENTED, `${kind} closed with ${result}`).toContain(result);
        codes.set(`${kind}:${result}`, (codes.get(`${kind}:${result}`) ?? 0) + 1);
        socket = await openSocket(`/sync/${docId}`);
        sent = 0;
      }
    }
    // Oversized frames: larger than MAX_MESSAGE_BYTES (4 MiB by default).
    const huge = await openSocket(`/sync/${docId}`);
    huge.send(new Uint8Array(4 * 1024 * 1024 + 1));
    expect((await huge.closed).code).toBe(CloseCode.MessageTooBig);

    expect(codes.get("foreign awareness:4403")).toBeGreaterThan(0);
    expect([...codes.keys()].some((k) => k.endsWith(":4400"))).toBe(true);

    // The honest client kept syncing throughout and is still connected.
    honest.doc.getText("t").insert(0, "final ");
    const check = await SyncedDoc.open(docId);
    Y.applyUpdate(model, Y.encodeStateAsUpdate(honest.doc));
    await check.waitForText(model.getText("t").toString());
    expect(honest.socket.closeInfo).toBeNull();
    for (const name of ["t", "m", "a"]) {
      expect(check.doc.get(name).toJSON(), name).toEqual(model.get(name).toJSON());
    }
    expect(Y.encodeStateVector(check.doc)).toEqual(Y.encodeStateVector(model));
  }, 120_000);

  it("closes a flooding socket with 4529 and leaves others alone", async () => {
    const docId = uniqueDocId("flood");
    const honest = await SyncedDoc.open(docId);
    const flooder = await openSocket(`/sync/${docId}`);
    const query = new Uint8Array([MessageType.QueryAwareness]);
    for (let i = 0; i < 600; i++) flooder.send(query); // the workerd test project allows 500 per window
    expect((await flooder.closed).code).toBe(CloseCode.RateLimited);
    honest.doc.getText("t").insert(0, "unaffected");
    await (await SyncedDoc.open(docId)).waitForText("unaffected");
    expect(honest.socket.closeInfo).toBeNull();
  });
});
