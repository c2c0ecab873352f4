// Stock @hocuspocus/provider 4.x against the real server's /hocuspocus endpoint: many documents
// over one socket, each with its own token, next to y-websocket clients on the same documents.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  allSaved,
  allSynced,
  attach,
  hocuspocusSocket,
  startAuthServer,
  token,
  type Attached,
} from "../helpers/hocuspocus";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import type { RunningServer } from "../helpers/server";

let server: RunningServer;
const text = (a: { doc: { getText(n: string): { toString(): string } } }) =>
  a.doc.getText("t").toString();

beforeAll(async () => {
  server = await startAuthServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("the Hocuspocus endpoint", () => {
  it("syncs 24 documents over one shared socket; edits converge with a second socket and with y-websocket", async () => {
    const names = Array.from({ length: 24 }, (_, i) => uniqueDocId(`mux${i}`));
    const socketA = hocuspocusSocket(server.url);
    const socketB = hocuspocusSocket(server.url);
    const a: Attached[] = [];
    const b: Attached[] = [];
    for (const name of names) {
      a.push(attach(socketA, name, await token(name)));
      b.push(attach(socketB, name, await token(name)));
    }
    await allSynced([...a, ...b]);
    expect(a.every((x) => x.scope === "read-write")).toBe(true);
    names.forEach((name, i) => {
      a[i]!.doc.getText("t").insert(0, `a${i} `);
      b[i]!.doc.getText("t").insert(0, `b${i} `);
    });
    for (let i = 0; i < names.length; i++) {
      await eventually(
        () => text(a[i]!) === text(b[i]!) && text(a[i]!).length === `a${i} b${i} `.length,
        () => `${names[i]}: a=${text(a[i]!)} b=${text(b[i]!)}`,
      );
    }
    // SyncStatus came back for every update: hasUnsyncedChanges is false everywhere.
    await allSaved([...a, ...b]);
    // A y-websocket client on one of the documents sees the Hocuspocus edits and is seen.
    const y = provider(server.wsUrl, names[3]!, undefined, { token: await token(names[3]!) });
    await whenSynced(y, 60_000);
    expect(y.doc.getText("t").toString()).toBe(text(a[3]!));
    y.doc.getText("t").insert(0, "y ");
    await eventually(
      () => text(a[3]!).startsWith("y ") && text(b[3]!).startsWith("y "),
      () => `a=${text(a[3]!)} b=${text(b[3]!)}`,
    );
    y.destroy();
    [...a, ...b].forEach((x) => x.provider.destroy());
    socketA.destroy();
    socketB.destroy();
  });

  it("a read-only token gets the readonly scope; its edits are refused and change nothing", async () => {
    const name = uniqueDocId("ro");
    const socket = hocuspocusSocket(server.url);
    const writer = attach(socket, name, await token(name));
    await allSynced([writer]);
    writer.doc.getText("t").insert(0, "kept");
    await allSaved([writer]);
    const readerSocket = hocuspocusSocket(server.url);
    const reader = attach(readerSocket, name, await token(name, "read"));
    await allSynced([reader]);
    expect(reader.scope).toBe("readonly");
    expect(text(reader)).toBe("kept");
    reader.doc.getText("t").insert(0, "refused ");
    // The refusal is a SyncStatus(false): the change stays unconfirmed.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(reader.provider.hasUnsyncedChanges).toBe(true);
    const check = provider(server.wsUrl, name, undefined, { token: await token(name) });
    await whenSynced(check, 60_000);
    expect(check.doc.getText("t").toString()).toBe("kept");
    expect(text(writer)).toBe("kept");
    check.destroy();
    writer.provider.destroy();
    reader.provider.destroy();
    socket.destroy();
    readerSocket.destroy();
  });

  it("a token for another document fails that document only; the others on the socket carry on", async () => {
    const good = uniqueDocId("good");
    const bad = uniqueDocId("bad");
    const socket = hocuspocusSocket(server.url);
    const refused = attach(socket, bad, await token(`${bad}-other`));
    const fine = attach(socket, good, await token(good));
    await allSynced([fine]);
    await eventually(
      () => refused.denied !== null,
      () => "no PermissionDenied",
    );
    expect(refused.denied).toMatch(/forbidden/);
    expect(refused.provider.isSynced).toBe(false);
    refused.doc.getText("t").insert(0, "never");
    fine.doc.getText("t").insert(0, "fine");
    await allSaved([fine]);
    const check = provider(server.wsUrl, bad, undefined, { token: await token(bad) });
    await whenSynced(check, 60_000);
    expect(check.doc.getText("t").toString()).toBe("");
    check.destroy();
    refused.provider.destroy();
    fine.provider.destroy();
    socket.destroy();
  });
});
