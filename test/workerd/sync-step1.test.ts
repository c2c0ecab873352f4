// A client's sync step 1 is answered with step 2 and the server's own step 1, as y-protocols' and
// Hocuspocus's servers answer it, also after the greeting (a provider's resync or forceSync): the
// client's step 2 in return brings a change only it holds, e.g. one whose update frame was lost.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeSyncStep1 } from "../../protocol/envelope";
import { MessageType, SyncType } from "../../protocol/messages";
import { SyncedDoc, uniqueDocId } from "../helpers/workerd-socket";

const isStep1 = (m: Uint8Array) => m[0] === MessageType.Sync && m[1] === SyncType.Step1;

describe("a client's sync step 1", () => {
  it("is answered with our step 1 too, so a change only the client holds reaches the server", async () => {
    const docId = uniqueDocId("step1");
    const client = await SyncedDoc.open(docId);
    await client.waitForText("");
    const greetings = client.socket.messages.filter(isStep1).length;
    // An edit whose update never left the client (its origin is the sync itself: not sent).
    client.doc.transact(() => client.doc.getText("t").insert(0, "only here"), client);

    client.socket.send(encodeSyncStep1(Y.encodeStateVector(client.doc)));
    await client.socket.waitFor(() => client.socket.messages.filter(isStep1).length > greetings);
    client.pump(); // answers the server's step 1 with a step 2 holding the edit

    const reader = await SyncedDoc.open(docId);
    await reader.waitForText("only here");
    expect(client.socket.closeInfo).toBeNull();
  });
});
