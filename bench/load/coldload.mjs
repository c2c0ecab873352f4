// Load generator for cold load: a fresh client opens a socket to a just-restarted server and
// times connect → sync step 2 received; the loaded text is checked after the clock stops.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import { TEXT_NAME } from "../lib/frames.mjs";
import { config, greet, openSocket, report } from "../lib/sockets.mjs";

const cfg = config(); // { url, protocol, doc, expectedFile }
const start = performance.now();
const ws = await openSocket(cfg.url);
const update = await greet(ws, cfg.protocol, cfg.doc);
const ms = performance.now() - start;
ws.close();
const doc = new Y.Doc();
Y.applyUpdate(doc, update);
const verified = doc.getText(TEXT_NAME).toString() === readFileSync(cfg.expectedFile, "utf8");
report("result", { ms, verified, bytes: update.length });
process.exit(0);
