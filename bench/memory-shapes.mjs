// `node bench/memory-shapes.mjs [--structs N] [--shapes a,b] [--json] [--workerd]`: V8 heap a document
// costs once loaded, per Yjs struct and per encoded byte, for the shapes that cost the most (and
// the benign ones). Each shape runs in its own `node --expose-gc` child, which builds the
// document, encodes it, drops the builder, and measures heapUsed around `Y.applyUpdate` into a
// fresh `Y.Doc({ gc: true })` — what a room does on load (durable-objects/room.ts).
// `--shape S --structs N [--max-structs M] [--max-bytes B]` (child mode) prints one JSON result,
// for the largest document of that shape within both caps with `--max-…`; durable-objects/doc-memory.test.ts uses it to hold
// the default caps to their heap bound.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import * as Y from "yjs";

/** Structs each synthetic shape is built to (about; the trace has its own size). */
const DEFAULT_STRUCTS = 200_000;
/** Clients taking turns in the interleaved-text shape (their single-char items never merge). */
const INTERLEAVED_CLIENTS = 16;
/** Seed of the random-position shape's generator, so every run builds the same document. */
const RANDOM_SEED = 42;
/** Elements nested before they are inserted at once in the deep-XML shape (integration recurses). */
const XML_CHAIN = 500;
/** Empty objects per requested struct in the JSON shape (one struct whatever its size). */
const JSON_OBJECTS_PER_STRUCT = 4;
const MB = 1024 * 1024;

/** Deterministic generator (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builders: each fills `doc` with about `n` structs of one shape. */
export const SHAPES = {
  /** Distinct keys with small numbers: the issue's 500k-entry document. */
  "map-entries": (doc, n) => {
    const map = doc.getMap("m");
    doc.transact(() => {
      for (let i = 0; i < n; i++) map.set(`k${i}`, i);
    });
  },
  /** Distinct keys each holding an empty Y.Map: a shared type per struct. */
  "map-of-maps": (doc, n) => {
    const map = doc.getMap("m");
    doc.transact(() => {
      for (let i = 0; i < n; i++) map.set(`k${i}`, new Y.Map());
    });
  },
  /** Single characters appended by clients taking turns: no two items can merge. */
  "text-interleaved": (doc, n) => {
    const text = doc.getText("t");
    for (let i = 0; i < n; i++) {
      doc.clientID = 1 + (i % INTERLEAVED_CLIENTS);
      text.insert(i, "x");
    }
  },
  /** Single characters typed at random positions by one client (each insert splits an item). */
  "text-random": (doc, n) => {
    const text = doc.getText("t");
    const next = random(RANDOM_SEED);
    text.insert(0, "x");
    while (structCount(doc) < n) text.insert(Math.floor(next() * (text.length + 1)), "y");
  },
  /** XML elements each nested in the one before. */
  "xml-deep": (doc, n) => {
    // An insert walks up every ancestor to queue deep-observer events, so nesting one element
    // at a time is quadratic: insert chains of XML_CHAIN prepared elements instead.
    let parent = doc.getXmlFragment("x");
    for (let depth = 0; depth < n; depth += XML_CHAIN) {
      const top = new Y.XmlElement("p");
      let bottom = top;
      for (let i = 1; i < Math.min(XML_CHAIN, n - depth); i++) {
        const element = new Y.XmlElement("p");
        bottom.insert(0, [element]);
        bottom = element;
      }
      parent.insert(0, [top]);
      parent = top;
      while (parent.firstChild) parent = parent.firstChild;
    }
  },
  /** A text with every other character deleted (gc on): half the items are tombstones. */
  tombstones: (doc, n) => {
    const text = doc.getText("t");
    text.insert(0, "x".repeat(n));
    for (let i = n - 2; i >= 0; i -= 2) text.delete(i, 1);
  },
  /** One map entry holding an array of empty objects: one struct, ~2 encoded bytes per object. */
  "json-objects": (doc, n) => {
    doc.getMap("m").set(
      "v",
      Array.from({ length: n * JSON_OBJECTS_PER_STRUCT }, () => ({})),
    );
  },
  /** One client typing a long text from start to end: its items merge (the benign case). */
  "text-typed": (doc, n) => {
    const text = doc.getText("t");
    for (let i = 0; i < n * 10; i++) text.insert(i, String.fromCharCode(97 + (i % 26)));
  },
  /** The automerge-paper trace, 259,778 real keystrokes (test/fixtures/traces, CC BY 4.0). */
  "trace-paper": (doc) => {
    const path = fileURLToPath(
      new URL("../test/fixtures/traces/automerge-paper.json.gz", import.meta.url),
    );
    const trace = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
    const text = doc.getText("t");
    for (const txn of trace.txns) {
      doc.transact(() => {
        for (const [pos, del, insert] of txn.patches) {
          if (del > 0) text.delete(pos, del);
          if (insert) text.insert(pos, insert);
        }
      });
    }
  },
};

/** Structs in a document's store (what MAX_DOC_ITEMS counts). */
export function structCount(doc) {
  let n = 0;
  for (const structs of doc.store.clients.values()) n += structs.length;
  return n;
}

function heapAfterGc() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage().heapUsed;
}

/** Size of the sample that gives a first guess of what fits the caps. */
const CALIBRATION_SIZE = 10_000;
/** Shrinks a document that came out over a cap by this much more than its excess. */
const FILL_MARGIN = 0.99;

/**
 * The update of one shape of size `n`, smaller if it must to stay within `maxStructs` and
 * `maxBytes` encoded (the most a room admits under both caps). A function of its own, so nothing
 * of the builder outlives it (not even in an interpreter register).
 */
function buildUpdate(shape, n, maxStructs, maxBytes) {
  const build = (size) => {
    const doc = new Y.Doc({ gc: true });
    SHAPES[shape](doc, size);
    const built = { structs: structCount(doc), update: Y.encodeStateAsUpdate(doc) };
    doc.destroy();
    return built;
  };
  // How far over the tighter cap (> 1), or under it (<= 1).
  const over = ({ structs, update }) => Math.max(structs / maxStructs, update.length / maxBytes);
  if (maxStructs < Infinity || maxBytes < Infinity) {
    // A first guess from a small document of the same shape; corrected below if it was over.
    n = Math.min(n, Math.floor(CALIBRATION_SIZE / over(build(CALIBRATION_SIZE))));
  }
  let built = build(n);
  while (over(built) > 1) built = build(Math.floor((n = (n * FILL_MARGIN) / over(built))));
  return built.update;
}

/** Child mode: the heap one shape's update costs once applied to a fresh document. */
function measure(shape, n, maxStructs = Infinity, maxBytes = Infinity) {
  const update = buildUpdate(shape, n, maxStructs, maxBytes);
  const before = heapAfterGc();
  const started = performance.now();
  const doc = new Y.Doc({ gc: true });
  Y.applyUpdate(doc, update);
  const applyMs = performance.now() - started;
  const after = heapAfterGc();
  const structs = structCount(doc);
  const heap = after - before;
  return {
    shape,
    structs,
    encodedBytes: update.length,
    heapBytes: heap,
    heapPerStruct: heap / structs,
    heapPerEncodedByte: heap / update.length,
    applyMs: Math.round(applyMs),
    // Keeps the document and update alive until after the measurement.
    check: doc.store.clients.size + update[0],
  };
}

function runChild(shape, n) {
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", fileURLToPath(import.meta.url), "--shape", shape, "--structs", String(n)],
    { encoding: "utf8", maxBuffer: 16 * MB },
  );
  if (result.status !== 0) throw new Error(`${shape}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Shapes loaded into the real server by `--workerd`: the heaviest per struct and per byte. */
const WORKERD_SHAPES = ["map-entries", "map-of-maps"];
/** Limits lifted for `--workerd`, so each shape loads whole through one REST write. */
const WORKERD_VARS = { MAX_DOC_BYTES: 1 << 30, MAX_DOC_ITEMS: 1e9, MAX_MESSAGE_BYTES: 64 * MB };

/**
 * `--workerd`: the same documents written into the real server (`npm start`, workerd) by
 * `POST /v1/docs/:id/update`, each into a new document: the isolate's V8 heap (inspector
 * Runtime.getHeapUsage) before and after. workerd's inspector does not answer
 * HeapProfiler.collectGarbage; taking a heap snapshot collects garbage first, so one is taken
 * (and dropped) before each reading — slow (a minute for 50 MB here), and the isolate is busy
 * throughout, so the document cannot be evicted before it is measured.
 */
async function measureWorkerd(shapes, n) {
  const { startServer, freePort } = await import("./lib/servers.mjs");
  const { devtools } = await import("./lib/cdp.mjs");
  const inspectorPort = await freePort();
  const vars = Object.entries(WORKERD_VARS).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const server = await startServer("edgesync", [
    "--inspector-port",
    String(inspectorPort),
    ...vars,
  ]);
  const results = [];
  try {
    const url = `http://127.0.0.1:${server.port}`;
    // Warm the Worker and the Durable Object class up with a tiny document first.
    await post(url, "warmup", new Uint8Array([0, 0]));
    const cdp = await devtools(inspectorPort);
    const heap = async () => {
      await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      return (await cdp.send("Runtime.getHeapUsage")).usedSize;
    };
    for (const shape of shapes) {
      const builder = new Y.Doc({ gc: true });
      SHAPES[shape](builder, n);
      const update = Y.encodeStateAsUpdate(builder);
      const structs = structCount(builder);
      const before = await heap();
      await post(url, `${shape}-${Date.now()}`, update);
      const used = (await heap()) - before;
      results.push({
        shape,
        structs,
        encodedBytes: update.length,
        heapBytes: used,
        heapPerStruct: used / structs,
        heapPerEncodedByte: used / update.length,
      });
    }
    cdp.close();
  } finally {
    await server.dispose();
  }
  return results;
}

async function post(url, docId, update) {
  const res = await fetch(`${url}/v1/docs/${docId}/update`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update,
  });
  if (res.status !== 200) throw new Error(`${docId}: ${res.status} ${await res.text()}`);
}

const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const n = Number(arg("--structs") ?? DEFAULT_STRUCTS);

if (import.meta.url === `file://${process.argv[1]}`) {
  if (arg("--shape")) {
    if (typeof global.gc !== "function") throw new Error("run with --expose-gc");
    if (!SHAPES[arg("--shape")]) throw new Error(`unknown shape ${arg("--shape")}`);
    const cap = (name) => Number(arg(name) ?? Infinity);
    process.stdout.write(
      JSON.stringify(measure(arg("--shape"), n, cap("--max-structs"), cap("--max-bytes"))),
    );
  } else {
    const workerd = args.includes("--workerd");
    const shapes = arg("--shapes")?.split(",") ?? (workerd ? WORKERD_SHAPES : Object.keys(SHAPES));
    const results = workerd
      ? await measureWorkerd(shapes, n)
      : shapes.map((shape) => runChild(shape, n));
    if (args.includes("--json")) console.log(JSON.stringify(results, null, 2));
    else {
      const yjs = createRequire(import.meta.url)("yjs/package.json").version;
      console.log(
        workerd
          ? `workerd (npm start), yjs ${yjs}; isolate heap after a heap snapshot's gc, before and after POST …/update`
          : `node ${process.version}, yjs ${yjs}; heapUsed after gc, before and after Y.applyUpdate`,
      );
      console.log(`| shape | structs | encoded | heap | heap/struct | heap/encoded byte | apply |`);
      console.log("|---|---:|---:|---:|---:|---:|---:|");
      for (const r of results) {
        console.log(
          `| ${r.shape} | ${r.structs.toLocaleString("en")} | ${(r.encodedBytes / MB).toFixed(2)} MB | ` +
            `${(r.heapBytes / MB).toFixed(1)} MB | ${Math.round(r.heapPerStruct)} B | ` +
            `${r.heapPerEncodedByte.toFixed(1)} | ${r.applyMs === undefined ? "–" : `${r.applyMs} ms`} |`,
        );
      }
    }
  }
}
