// Frames for the three wire framings we drive — y-websocket, Hocuspocus (document name prefix,
// auth first) and raw (bare baseline: the y-websocket update frame, relayed as is) — and decoding.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

const SYNC = 0;
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;
/** Hocuspocus message types we use (its MessageType enum). */
const HP_AUTH = 2;
const HP_AUTH_TOKEN = 0;
const HP_SYNC_REPLY = 4;
const HP_STATELESS = 5;

function frame(protocol, doc, write) {
  const e = encoding.createEncoder();
  if (protocol === "hocuspocus") encoding.writeVarString(e, doc);
  write(e);
  return encoding.toUint8Array(e);
}

/** A sync update frame carrying `update`. */
export function updateFrame(protocol, doc, update) {
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, SYNC);
    encoding.writeVarUint(e, UPDATE);
    encoding.writeVarUint8Array(e, update);
  });
}

/**
 * A frame that keeps a socket that only reads alive, or null where none is needed: Hocuspocus
 * closes a socket it has not received a message on for 30 s (4408), whatever pongs it gets, so a
 * reader sends it a stateless message (no reply, no document change).
 */
export function keepAliveFrame(protocol, doc) {
  if (protocol !== "hocuspocus") return null;
  return frame(protocol, doc, (e) => {
    encoding.writeVarUint(e, HP_STATELESS);
    encoding.writeVarString(e, "bench keep-alive");
  });
}

/** The frames a client sends on open: (Hocuspocus) an auth token, then sync step 1 of `ydoc`. */
export function helloFrames(protocol, doc, ydoc = new Y.Doc()) {
  if (protocol === "raw") return [];
  const frames = [];
  if (protocol === "hocuspocus") {
    frames.push(
      frame(protocol, doc, (e) => {
        encoding.writeVarUint(e, HP_AUTH);
        encoding.writeVarUint(e, HP_AUTH_TOKEN);
        encoding.writeVarString(e, "");
      }),
    );
  }
  frames.push(
    frame(protocol, doc, (e) => {
      encoding.writeVarUint(e, SYNC);
      encoding.writeVarUint(e, STEP1);
      encoding.writeVarUint8Array(e, Y.encodeStateVector(ydoc));
    }),
  );
  return frames;
}

/**
 * Decodes one incoming frame: { kind: "step2" | "update" | "step1" | "other", update? }.
 * Never throws on frames it does not know.
 */
export function readFrame(protocol, data) {
  try {
    const d = decoding.createDecoder(data instanceof Uint8Array ? data : new Uint8Array(data));
    if (protocol === "hocuspocus") decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    if (type !== SYNC && !(protocol === "hocuspocus" && type === HP_SYNC_REPLY))
      return { kind: "other" };
    const sub = decoding.readVarUint(d);
    const payload = decoding.readVarUint8Array(d);
    if (sub === STEP2) return { kind: "step2", update: payload };
    if (sub === UPDATE) return { kind: "update", update: payload };
    return { kind: "step1" };
  } catch {
    return { kind: "other" };
  }
}

/** Applies every step 2 / update among `frames` to a fresh Y.Doc. */
export function docFromFrames(protocol, frames) {
  const doc = new Y.Doc();
  doc.transact(() => {
    for (const f of frames) {
      const m = readFrame(protocol, f);
      if (m.update) Y.applyUpdate(doc, m.update);
    }
  });
  return doc;
}
