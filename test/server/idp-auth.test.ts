// The real server (`npm start`) configured for an identity provider with `--var JWKS_URL:…`,
// JWT_ISSUER and JWT_AUDIENCE: open access is off, a stock y-websocket client with the IdP's
// ES256 token syncs and a reader's edit does not reach a writer, and a token for another audience
// or none at all is refused at the upgrade.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { JWT_TEST_AUDIENCE, JWT_TEST_ISSUER, idpControl, idpToken, testKey } from "../helpers/idp";
import { startJwksServer, type JwksServer } from "../helpers/jwks-server";
import { eventually, provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { startServer, upgradeRequest, type RunningServer } from "../helpers/server";

let jwks: JwksServer;
let server: RunningServer;
beforeAll(async () => {
  jwks = await startJwksServer();
  server = await startServer({
    vars: {
      JWKS_URL: `${jwks.url}/jwks.json`,
      JWT_ISSUER: JWT_TEST_ISSUER,
      JWT_AUDIENCE: JWT_TEST_AUDIENCE,
    },
  });
});
afterAll(async () => {
  await server?.dispose();
  jwks?.server.close();
});

describe("npm start with an identity provider's JWKS", () => {
  it("requires tokens, accepts the IdP's with their roles, and refuses another audience", async () => {
    const key = await testKey("ES256");
    await idpControl(`${jwks.url}/jwks.json`).publish(key);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { auth: string };
    expect(health.auth, server.output()).toBe("token");

    const docId = uniqueDocId("idp");
    const missing = await upgradeRequest(`${server.url}/sync/${docId}`);
    expect(missing.status).toBe(401);
    const otherApp = await idpToken(key, { doc: docId, role: "write" }, { audience: "other-app" });
    const refused = await upgradeRequest(`${server.url}/sync/${docId}?token=${otherApp}`);
    expect([refused.status, JSON.parse(refused.body).error.code]).toEqual([401, "invalid_token"]);

    const writer = provider(server.wsUrl, docId, new Y.Doc(), {
      token: await idpToken(key, { doc: docId, role: "write" }),
    });
    const reader = provider(server.wsUrl, docId, new Y.Doc(), {
      token: await idpToken(key, { doc: docId, role: "read" }),
    });
    try {
      await Promise.all([whenSynced(writer), whenSynced(reader)]);
      reader.doc.getText("t").insert(0, "reader ");
      writer.doc.getText("t").insert(0, "writer");
      const text = () => reader.doc.getText("t").toString();
      await eventually(
        () => text().includes("writer"),
        () => text(),
      );
      expect(writer.doc.getText("t").toString()).toBe("writer");
    } finally {
      writer.destroy();
      reader.destroy();
    }
  });
});
