#!/usr/bin/env node
// `node scripts/yjs-update.mjs <text> [base.bin] > update.bin` writes a binary Yjs update that
// appends <text> to the root text "t": to a new document, or to the one in base.bin (a Yjs
// update, e.g. from GET /v1/docs/:id/update), so only the new text is in the output. For trying
// the REST API with curl (docs/rest.md); an app makes its updates with Yjs itself.
import { readFileSync, writeSync } from "node:fs";
import * as Y from "yjs";

const [text, base] = process.argv.slice(2);
if (text === undefined || process.stdout.isTTY) {
  console.error("usage: node scripts/yjs-update.mjs <text> [base.bin] > update.bin");
  process.exit(1);
}
const doc = new Y.Doc();
if (base) Y.applyUpdate(doc, readFileSync(base));
const before = Y.encodeStateVector(doc);
doc.getText("t").insert(doc.getText("t").length, text);
writeSync(1, Y.encodeStateAsUpdate(doc, before));
