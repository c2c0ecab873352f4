// Loads the editing traces in test/fixtures/traces (CC BY 4.0, see ATTRIBUTION.md there).
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import type * as Y from "yjs";

export interface Trace {
  startContent: string;
  endContent: string;
  txns: { patches: [pos: number, del: number, insert: string][] }[];
}

export function loadTrace(name: "automerge-paper" | "friendsforever_flat"): Trace {
  const path = fileURLToPath(new URL(`../fixtures/traces/${name}.json.gz`, import.meta.url));
  return JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as Trace;
}

/** Applies one transaction of a trace to a Y.Text, as one Yjs transaction. */
export function applyTxn(doc: Y.Doc, text: Y.Text, txn: Trace["txns"][number]): void {
  doc.transact(() => {
    for (const [pos, del, insert] of txn.patches) {
      if (del > 0) text.delete(pos, del);
      if (insert) text.insert(pos, insert);
    }
  });
}
