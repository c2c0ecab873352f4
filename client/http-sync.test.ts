// HTTP sync fails in one shape: syncOverHttp rejects with the SyncError that syncManyOverHttp
// reports per document, for a request that gets no answer (the real fetch against a port nobody
// listens on: offline) and for a token function that throws. Never fetch's raw TypeError.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncError } from "./errors";
import { syncOverHttp } from "./http-sync";
import { syncManyOverHttp } from "./http-sync-many";

/** The URL of a local port that was free a moment ago: a connection to it is refused. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("resolved"),
    (err: unknown) => err,
  );
}

describe("HTTP sync failures", () => {
  it("offline: syncOverHttp rejects with SyncError closed, as syncManyOverHttp reports it", async () => {
    const url = await deadUrl();
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "local");
    const one = await rejection(syncOverHttp(doc, { url, docId: "d" }));
    const [many] = await syncManyOverHttp({ url, docs: [{ id: "d", doc }] });
    expect(one).toBeInstanceOf(SyncError);
    expect(one).toMatchObject({ code: "closed", message: expect.stringContaining(url) });
    expect(many).toMatchObject({ id: "d", ok: false, status: 0 });
    expect((many as { error: SyncError }).error).toBeInstanceOf(SyncError);
    expect((many as { error: SyncError }).error.code).toBe((one as SyncError).code);
  });

  it("a token function that throws: SyncError token from both", async () => {
    const token = () => {
      throw new Error("signed out");
    };
    const doc = new Y.Doc();
    const url = "http://127.0.0.1:1";
    const one = await rejection(syncOverHttp(doc, { url, docId: "d", token }));
    const [many] = await syncManyOverHttp({ url, docs: [{ id: "d", doc }], token });
    expect(one).toBeInstanceOf(SyncError);
    expect((one as SyncError).code).toBe("token");
    expect((many as { error: SyncError }).error.code).toBe("token");
  });
});
