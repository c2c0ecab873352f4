// A /mux channel's document socket closes when the client closes the channel, whatever reason it
// gives: a reason longer than a close frame carries (123 bytes) made the relay's close() throw,
// and the document socket stayed open after the client had left (its awareness never removed).
import { describe, expect, it } from "vitest";
import { MAX_CLOSE_REASON_BYTES } from "../../protocol/close-codes";
import {
  MuxClientKind,
  MuxServerKind,
  decodeMuxFrame,
  encodeMuxFrame,
  encodeOpen,
} from "../../protocol/mux";
import * as encoding from "lib0/encoding";
import { awarenessFrame, isAwarenessFor } from "../helpers/frames";
import { openSocket, uniqueDocId } from "../helpers/workerd-socket";

/** A channel CLOSE frame as the client sends it: `varUint code · varString reason`. */
function closeFrame(channel: number, code: number, reason: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, code);
  encoding.writeVarString(e, reason);
  return encodeMuxFrame(channel, MuxClientKind.Close, encoding.toUint8Array(e));
}

describe("/mux channel CLOSE", () => {
  it.each([
    ["a short reason", "bye"],
    ["a reason over the close frame's limit", "x".repeat(4 * MAX_CLOSE_REASON_BYTES)],
    ["a long multi-byte reason", "漢".repeat(200)],
  ])("closes the document's socket for %s", async (_name, reason) => {
    const docId = uniqueDocId("muxclose");
    const watcher = await openSocket(`/sync/${docId}`);
    const mux = await openSocket("/mux");
    mux.send(encodeOpen(1, docId, ""));
    await mux.waitFor((m) => {
      const f = decodeMuxFrame(m);
      return f.channel === 1 && f.kind === MuxServerKind.Opened;
    });
    mux.send(encodeMuxFrame(1, MuxClientKind.Frame, awarenessFrame(4242, 1, { user: "leaver" })));
    await watcher.waitFor(isAwarenessFor(4242, (s) => s !== null));

    mux.send(closeFrame(1, 1000, reason));
    // The document removes the awareness of a socket that closed: only then is it closed.
    await watcher.waitFor(isAwarenessFor(4242, (s) => s === null));
    expect(mux.closeInfo).toBeNull(); // the shared socket carries on
  });
});
