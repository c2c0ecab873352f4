// The reply budget is per connection on /mux, not per channel: a client that asks for a large
// document's state on many channels of one socket (and never reads) can make the Worker queue at
// most one budget of replies (REPLY_BUDGET_BYTES, 4 MiB in this project), not one per channel.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CloseCode } from "../../protocol/close-codes";
import { encodeSyncStep1 } from "../../protocol/envelope";
import {
  MuxClientKind,
  MuxServerKind,
  decodeClose,
  decodeMuxFrame,
  encodeMuxFrame,
  encodeOpen,
} from "../../protocol/mux";
import { SyncedDoc, openSocket, uniqueDocId } from "../helpers/workerd-socket";

/** The document's size: each full reply is this large, a quarter of the budget. */
const DOC_CHARS = 1024 * 1024;
/** Channels asking for it: eight replies, twice the connection's budget. */
const CHANNELS = 8;

describe("/mux reply budget", () => {
  it("is shared by a connection's channels: past it a channel is CLOSED 4529", async () => {
    const docId = uniqueDocId("muxreply");
    const writer = await SyncedDoc.open(docId);
    writer.doc.getText("t").insert(0, "x".repeat(DOC_CHARS));
    await new Promise((r) => setTimeout(r, 500));

    const mux = await openSocket("/mux");
    const emptyStep1 = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()));
    for (let channel = 1; channel <= CHANNELS; channel++) {
      mux.send(encodeOpen(channel, docId, ""));
      mux.send(encodeMuxFrame(channel, MuxClientKind.Frame, emptyStep1));
    }
    const closed = decodeClose(
      decodeMuxFrame(
        await mux.waitFor((m) => decodeMuxFrame(m).kind === MuxServerKind.Closed, 20_000),
      ).payload,
    );
    expect(closed.code).toBe(CloseCode.RateLimited);
    expect(closed.reason).toMatch(/reply budget of this connection/);
    // What the Worker relayed stayed within one budget (4 MiB) and a reply.
    const relayed = mux.messages.reduce((sum, m) => sum + m.byteLength, 0);
    expect(relayed).toBeLessThan(5 * 1024 * 1024);
  });
});
