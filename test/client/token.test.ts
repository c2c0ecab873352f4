// Token refresh against the real server with AUTH_SECRET set: a token that expires mid-session
// (the server closes with 4401) is replaced through the token function, and no edit is lost.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { SyncProvider, type ProviderStatus, type SyncError } from "../../client/index";
import { createToken } from "../../worker/tokens";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { eventually, uniqueDocId } from "../helpers/providers";
import { sharedServer } from "../helpers/shared-servers";

/** The first token's lifetime: short enough to expire while the test is typing. */
const SHORT_TTL_SECONDS = 2;
const KEYSTROKES = 60;
const KEYSTROKE_GAP_MS = 60;

const server = sharedServer("auth");

describe("SyncProvider token refresh", () => {
  it("replaces an expiring token through the token function without losing edits", async () => {
    const docId = uniqueDocId("token");
    const issued: number[] = [];
    const token = async () => {
      issued.push(Date.now());
      const ttlSeconds = issued.length === 1 ? SHORT_TTL_SECONDS : 3600;
      return createToken(TEST_AUTH_SECRET, { doc: docId, role: "write", ttlSeconds });
    };
    const writer = new SyncProvider({ url: server.wsUrl, docId, doc: new Y.Doc(), token });
    const statuses: ProviderStatus[] = [];
    const errors: SyncError[] = [];
    writer.on("status", (s) => statuses.push(s));
    writer.on("error", (e) => errors.push(e));
    const readerToken = await createToken(TEST_AUTH_SECRET, {
      doc: docId,
      role: "read",
      ttlSeconds: 3600,
    });
    const reader = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      token: readerToken,
    });
    await Promise.all([writer.whenSynced(), reader.whenSynced()]);

    // Type through the expiry: some keystrokes land on a socket the server is about to close.
    const text = writer.doc.getText("t");
    let typed = "";
    for (let i = 0; i < KEYSTROKES; i++) {
      const ch = String.fromCharCode(97 + (i % 26));
      text.insert(text.length, ch);
      typed += ch;
      await new Promise((r) => setTimeout(r, KEYSTROKE_GAP_MS));
    }
    await eventually(
      () => issued.length >= 2,
      () => `token function called ${issued.length} times`,
      15_000,
    );
    await writer.whenSaved();

    expect(statuses).toContain("disconnected"); // the 4401 close happened mid-session
    expect(writer.status).toBe("connected");
    expect(errors.filter((e) => e.code !== "token")).toEqual([]);
    await eventually(
      () => reader.doc.getText("t").toString() === typed,
      () => `reader has ${reader.doc.getText("t")}`,
    );
    await Promise.all([writer.destroy(), reader.destroy()]);
  });

  it("never reports a change refused for a read-only token as saved", async () => {
    const docId = uniqueDocId("read-only");
    const token = (role: "read" | "write") =>
      createToken(TEST_AUTH_SECRET, { doc: docId, role, ttlSeconds: 3600 });
    const writer = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      token: await token("write"),
    });
    const reader = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      token: await token("read"),
      savedAckDelayMs: 0,
    });
    await Promise.all([writer.whenSynced(), reader.whenSynced()]);
    const refused = new Promise<SyncError>((resolve) => reader.on("error", resolve));
    reader.doc.getText("t").insert(0, "not allowed");
    expect((await refused).code).toBe("permission-denied");
    // The reader's saved request went out right behind its update; once a later change from
    // the writer has reached the reader, the server's echo has been handled too.
    writer.doc.getText("t").insert(0, "allowed ");
    await writer.whenSaved();
    await eventually(
      () => reader.doc.getText("t").toString().includes("allowed "),
      () => `reader has ${reader.doc.getText("t")}`,
    );
    expect(reader.hasUnsavedChanges).toBe(true);
    const check = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      token: await token("read"),
    });
    await check.whenSynced();
    expect(check.doc.getText("t").toString()).toBe("allowed ");
    await Promise.all([writer.destroy(), reader.destroy(), check.destroy()]);
  });

  it("stops with a permanent error when the token is for another document (4403 after the upgrade)", async () => {
    const docId = uniqueDocId("forbidden");
    // The provider connects with ?ext=1, so the Worker's 403 arrives as close code 4403 (a
    // browser could not read the HTTP status): permanent, so no retry loop.
    const calls: number[] = [];
    const errors: SyncError[] = [];
    const wrong = new SyncProvider({
      url: server.wsUrl,
      docId,
      doc: new Y.Doc(),
      token: () => (
        calls.push(1),
        createToken(TEST_AUTH_SECRET, { doc: "other-doc", role: "write" })
      ),
      backoff: { baseMs: 20, capMs: 100 },
    });
    wrong.on("error", (e: SyncError) => errors.push(e));
    await eventually(
      () => errors.length > 0,
      () => `token asked ${calls.length} times, no error yet`,
    );
    expect(errors[0]!.code).toBe("closed");
    expect(errors[0]!.closeCode).toBe(4403);
    await new Promise((r) => setTimeout(r, 500)); // many backoff periods: no new attempt
    expect(calls.length).toBe(1);
    expect(wrong.synced).toBe(false);
    await wrong.destroy();
  });
});
