// `node bench/memory-shapes.mjs [--structs N] [--shapes a,b] [--json] [--workerd]`: V8 heap a document
// costs once loaded, per Yjs struct and per encoded byte, for the shapes that cost the most (and
// the benign ones). Each shape runs in its own `node --expose-gc` child, which builds the
// document, encodes it, drops the builder, and measures heapUsed around `Y.applyUpdate` into a
// fresh `Y.Doc({ gc: true })` — what a room does on load (durable-objects/room.ts).
// `--shape S --structs N [--max-structs M] [--max-bytes B] [--update FILE]` (child mode) prints
// one JSON result, for the largest document of that shape within both caps with `--max-…`, or for
// the update in FILE; durable-objects/doc-memory.test.ts uses it to hold the memory model's
// budget to the heap of the largest document of each heavy shape it admits.
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
  /** One client appending 1 KiB chunks of one-byte text: `n` KiB of characters, one struct. */
  "text-bulk": (doc, n) => {
    const text = doc.getText("t");
    doc.transact(() => {
      for (let i = 0; i < n; i++) text.insert(text.length, textChunk(i, "a"));
    });
  },
  /** The same with CJK characters (two-byte strings in V8, three bytes each in UTF-8). */
  "text-bulk-cjk": (doc, n) => {
    const text = doc.getText("t");
    doc.transact(() => {
      for (let i = 0; i < n; i++) text.insert(text.length, textChunk(i, "\u4e00"));
    });
  },
  /** Map entries each holding a 1 KiB Uint8Array: `n` KiB of binary content. */
  binary: (doc, n) => {
    const map = doc.getMap("b");
    doc.transact(() => {
      for (let i = 0; i < n; i++) map.set(`b${i}`, new Uint8Array(1024).fill(i & 255));
    });
  },
  /** Map entries each holding a small record (an app's JSON state): typical, not worst. */
  "json-records": (doc, n) => {
    const map = doc.getMap("r");
    doc.transact(() => {
      for (let i = 0; i < n; i++)
        map.set(`r${i}`, { id: i, title: `task ${i} to do`, done: i % 2 === 0, tags: ["a", "b"] });
    });
  },
  /** A text with every other character made bold: two format structs per formatted range. */
  formatted: (doc, n) => {
    const text = doc.getText("t");
    text.insert(0, "x".repeat(2 * n));
    doc.transact(() => {
      for (let i = 0; i < n; i++) text.format(2 * i, 1, { bold: true });
    });
  },
  /** A text of embeds (images in a rich text): one small JSON object each. */
  embeds: (doc, n) => {
    const text = doc.getText("t");
    doc.transact(() => {
      for (let i = 0; i < n; i++) text.insertEmbed(i, { image: `https://example.com/${i}.png` });
    });
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

/** 1,024 characters of `first` and the 25 after it, varied by `seed` (no two chunks alike). */
function textChunk(seed, first) {
  const base = first.charCodeAt(0);
  let out = "";
  for (let i = 0; i < 1024; i++) out += String.fromCharCode(base + ((seed + i * 7) % 26));
  return out;
}

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

/**
 * Child mode: the heap one shape's update costs once applied to a fresh document; with `file`,
 * the update in that file (one built elsewhere, e.g. as large as the memory model admits).
 */
function measure(shape, n, maxStructs = Infinity, maxBytes = Infinity, file = undefined) {
  const update = file
    ? new Uint8Array(readFileSync(file))
    : buildUpdate(shape, n, maxStructs, maxBytes);
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
/** Size of each shape in `--workerd` (units of its builder): ~10–30 MB of heap, each one POST. */
const WORKERD_SIZES = {
  "map-entries": 100_000,
  "map-of-maps": 40_000,
  "text-interleaved": 60_000,
  tombstones: 100_000,
  "xml-deep": 20_000,
  "json-objects": 100_000,
  "json-records": 40_000,
  "text-bulk": 8_192,
  "text-bulk-cjk": 4_096,
  binary: 8_192,
  formatted: 40_000,
  embeds: 40_000,
};
/** Wait after the writes for their compactions (before the restart). */
const QUIET_MS = 3000;
/** Two readings of the isolate's memory this close are taken as settled. */
const STABLE_BYTES = 256 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Limits lifted for `--workerd`, so each shape loads whole through one REST write. */
const WORKERD_VARS = {
  MAX_DOC_BYTES: 1 << 30,
  MAX_DOC_HEAP_BYTES: 1 << 30,
  MAX_DOC_ITEMS: 1e9,
  MAX_MESSAGE_BYTES: 64 * MB,
  D1_FLUSH_DEBOUNCE_MS: 200,
};

/**
 * `--workerd`: the same documents written into the real server (`npm start`, workerd) by
 * `POST /v1/docs/:id/update`, each into a new document; then the server is restarted on the same
 * storage (a fresh isolate each time: several large documents pass workerd's memory limit) and
 * the document is loaded by `GET /v1/docs/:id/json` (which applies its snapshot): the isolate's V8 heap (inspector Runtime.getHeapUsage) before and after, each
 * reading after `gc()` (workerd started with --expose-gc through MINIFLARE_WORKERD_V8_FLAGS)
 * until two agree within STABLE_BYTES. Measured on load, not on write: a write's compaction and
 * D1 flush hold transient copies for seconds. ArrayBuffer backing stores (outside the heap) are
 * left out: gc() frees them lazily, so a reading would hold megabytes of dead ones; the one a
 * loaded document keeps (its stored snapshot, served to fresh clients) is its encoded size.
 */
async function measureWorkerd(shapes, n) {
  const { startServer, freePort } = await import("./lib/servers.mjs");
  const { devtools } = await import("./lib/cdp.mjs");
  const inspectorPort = await freePort();
  const vars = Object.entries(WORKERD_VARS).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  process.env.MINIFLARE_WORKERD_V8_FLAGS = "--expose-gc";
  const server = await startServer("edgesync", [
    "--inspector-port",
    String(inspectorPort),
    ...vars,
  ]);
  const results = [];
  try {
    const url = `http://127.0.0.1:${server.port}`;
    // A cold server dropped a first request's large upload (EPIPE): warm it with a small one.
    await post(url, "warmup", new Uint8Array([0, 0]));
    const heap = async (cdp) => {
      let last = -Infinity;
      for (;;) {
        for (let i = 0; i < 3; i++) await cdp.send("Runtime.evaluate", { expression: "gc()" });
        const used = (await cdp.send("Runtime.getHeapUsage")).usedSize;
        if (Math.abs(used - last) < STABLE_BYTES) return used;
        last = used;
        await sleep(500);
      }
    };
    for (const shape of shapes) {
      const builder = new Y.Doc({ gc: true });
      SHAPES[shape](builder, WORKERD_SIZES[shape] ?? n);
      const update = Y.encodeStateAsUpdate(builder);
      const structs = structCount(builder);
      const encodedBytes = update.length;
      const docId = `${shape}-${Date.now()}`;
      // A server idle for a while (the shape was being built) has dropped a large upload
      // (EPIPE): warm it with a small request, and try once more if it still did.
      await post(url, "warmup", new Uint8Array([0, 0]));
      await post(url, docId, update).catch(() => post(url, docId, update));
      await sleep(QUIET_MS); // its compaction written
      // A fresh isolate for each (several large documents in one pass workerd's memory limit).
      console.error(`${shape}: written, restarting`);
      await server.restart();
      // Warm the Worker and the Durable Object class up with a tiny document first.
      await post(url, "warmup", new Uint8Array([0, 0]));
      const cdp = await devtools(inspectorPort);
      console.error(`${shape}: inspector connected`);
      const before = await heap(cdp);
      const res = await fetch(`${url}/v1/docs/${docId}/json`);
      if (res.status !== 200) throw new Error(`${docId}: ${res.status}`);
      await res.arrayBuffer();
      const used = (await heap(cdp)) - before;
      cdp.close();
      console.error(`${shape}: ${(used / MB).toFixed(1)} MB`);
      results.push({
        shape,
        structs,
        encodedBytes,
        heapBytes: used,
        heapPerStruct: used / structs,
        heapPerEncodedByte: used / encodedBytes,
        units: WORKERD_SIZES[shape] ?? n,
      });
    }
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
      JSON.stringify(
        measure(arg("--shape"), n, cap("--max-structs"), cap("--max-bytes"), arg("--update")),
      ),
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
