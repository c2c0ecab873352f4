// The servers the node project's global setup runs for the whole suite
// (test/helpers/shared-servers.global.ts): "open" as `npm start` runs it (open access), "auth"
// with AUTH_SECRET = TEST_AUTH_SECRET. Tests on them use their own document ids (uniqueDocId).
import { inject } from "vitest";

export interface SharedServer {
  url: string;
  /** The y-websocket base URL: `${wsUrl}/${docId}`. */
  wsUrl: string;
  port: number;
}

export interface SharedServers {
  open: SharedServer;
  auth: SharedServer;
}

declare module "vitest" {
  export interface ProvidedContext {
    sharedServers: SharedServers;
  }
}

export function sharedServer(kind: keyof SharedServers): SharedServer {
  return inject("sharedServers")[kind];
}
