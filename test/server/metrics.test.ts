// Metrics against the real server (wrangler dev + workerd, its own so totals are exact and its
// stdout ours): GET /v1/metrics parses as Prometheus text and its totals are the documents and
// writes this test made; the structured log lines for a load, a compaction, a flush and refusals
// (a REST write and a rate-limited socket) are on stdout, and a typist's keystrokes print none.
// That the counters outlive a restart is shown in Node (durable-objects/metrics/metrics.test.ts):
// a restart of this server costs 5-25 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { encodeQueryAwareness } from "../../protocol/messages";
import { createToken } from "../../tokens/mint";
import { TEST_AUTH_SECRET } from "../helpers/auth-secret";
import { parsePrometheus, sampleOf, type Family } from "../helpers/prometheus";
import { provider, uniqueDocId, whenSynced } from "../helpers/providers";
import { privatePort, startServer, type RunningServer } from "../helpers/server";

/** Frames one socket may send per window here: the flooder passes it, the typist does not. */
const RATE_LIMIT_MESSAGES = 40;
const TYPED = "metrics!";
const prefix = `${uniqueDocId("metrics")}/`;
const [A, B, C] = ["a", "b", "c"].map((n) => prefix + n) as [string, string, string];

let server: RunningServer;
let admin: string;
const api = (path: string, init: RequestInit = {}, token: string | null = admin) =>
  fetch(server.url + path, {
    ...init,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
const docPath = (id: string, rest = "") => `/v1/docs/${encodeURIComponent(id)}${rest}`;

beforeAll(async () => {
  server = await startServer({
    vars: {
      AUTH_SECRET: TEST_AUTH_SECRET,
      METRICS_WRITE_MS: "300",
      RATE_LIMIT_MESSAGES: String(RATE_LIMIT_MESSAGES),
    },
    logLevel: "log",
    port: privatePort,
  });
  admin = await createToken(TEST_AUTH_SECRET, { doc: "*", role: "admin" });
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

/** A REST write of `text` appended to root "t" by a new client (one stored update each). */
async function post(id: string, text: string, body?: Uint8Array): Promise<Response> {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return api(docPath(id, "/update"), { method: "POST", body: body ?? Y.encodeStateAsUpdate(doc) });
}

type Stats = { updateCount: number; encodedBytes: number; metrics: Record<string, unknown> };
async function statsOf(id: string): Promise<Stats> {
  const res = await api(docPath(id, "/stats"));
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { stats: Stats }).stats;
}

async function metrics(token: string | null = admin): Promise<Map<string, Family>> {
  const res = await api("/v1/metrics", {}, token);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

/** The totals the documents' own stats add up to, beside what /v1/metrics says. */
async function compare() {
  const stats = await Promise.all([A, B, C].map(statsOf));
  const sum = (f: (s: Stats) => number) => stats.reduce((n, s) => n + f(s), 0);
  const m = (name: string) => (s: Stats) => s.metrics[name] as number;
  const expected = {
    documents: 3,
    encoded_bytes: sum((s) => s.encodedBytes),
    updates_stored_total: 5 + 3 + stats[2]!.updateCount,
    update_bytes_stored_total: sum(m("updateBytesStored")),
    connections_total: 2, // the typist and the flooder
    frames_received_total: sum(m("framesReceived")),
    loads_total: sum(m("loads")),
    compactions_total: sum(m("compactions")),
    d1_flushes_total: sum(m("d1Flushes")),
    d1_flush_failures_total: 0,
    quarantined_rows: 0,
    invalid_update: 1,
    rate_limited: 1,
  };
  const families = await metrics();
  const actual: Record<string, number> = {};
  for (const name of Object.keys(expected))
    actual[name] =
      name === "invalid_update" || name === "rate_limited"
        ? sampleOf(
            families,
            "edgesync_refusals_total",
            `{code="${name === "rate_limited" ? 4529 : name}"}`,
          )
        : sampleOf(families, `edgesync_${name}`);
  return { expected, actual, stats, families };
}

async function until<T extends { expected: unknown; actual: unknown }>(
  read: () => Promise<T>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await read();
    if (JSON.stringify(got.expected) === JSON.stringify(got.actual) || Date.now() > deadline)
      return got;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("metrics", () => {
  it("GET /v1/metrics parses as Prometheus text and totals the test's documents and writes", async () => {
    for (let i = 0; i < 5; i++) expect((await post(A, `a${i}`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await post(B, `b${i}`)).status).toBe(200);
    // A refused REST write: not a Yjs update.
    expect((await post(B, "", new Uint8Array([0xff, 0xff, 0xff]))).status).toBe(400);

    // A stock y-websocket client types into C, one keystroke at a time.
    const writeToken = await createToken(TEST_AUTH_SECRET, { doc: C, role: "write", sub: "ty" });
    const typist = provider(server.wsUrl, C, new Y.Doc(), { token: writeToken });
    await whenSynced(typist);
    for (const ch of TYPED) {
      const text = typist.doc.getText("t");
      text.insert(text.length, ch);
      await new Promise((r) => setTimeout(r, 20));
    }
    const typed = async () => ((await (await api(docPath(C, "/json"))).json()) as { t?: string }).t;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      if ((await typed()) === TYPED) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await typed()).toBe(TYPED);
    typist.destroy();

    // A socket on A that sends past its rate: closed with 4529.
    const flooder = new WebSocket(`${server.wsUrl}/${encodeURIComponent(A)}?token=${admin}`);
    const closed = new Promise<number>((resolve) => flooder.once("close", resolve));
    await new Promise((resolve) => flooder.once("open", resolve));
    for (let i = 0; i < RATE_LIMIT_MESSAGES + 20; i++) flooder.send(encodeQueryAwareness());
    expect(await closed).toBe(4529);

    for (const id of [A, B, C])
      expect((await api(docPath(id, "/flush"), { method: "POST" })).status).toBe(200);
    const totals = await until(compare);
    expect(totals.actual).toEqual(totals.expected);
    expect(totals.stats.map((s) => s.updateCount)).toEqual([5, 3, totals.stats[2]!.updateCount]);
    expect(totals.stats[2]!.updateCount).toBeGreaterThanOrEqual(1);
    expect(totals.actual.frames_received_total).toBeGreaterThan(RATE_LIMIT_MESSAGES);
    for (const [name, family] of totals.families) {
      expect(name).toMatch(/^edgesync_/);
      expect(family.help.length, name).toBeGreaterThan(0);
    }

    // Who may read it: an admin of every document, no one else.
    expect((await api("/v1/metrics", {}, null)).status).toBe(401);
    const reader = await createToken(TEST_AUTH_SECRET, { doc: "*", role: "read" });
    expect((await api("/v1/metrics", {}, reader)).status).toBe(403);
    const narrow = await createToken(TEST_AUTH_SECRET, { doc: `${prefix}*`, role: "admin" });
    expect((await api("/v1/metrics", {}, narrow)).status).toBe(403);
  }, 120_000);

  it("prints one JSON line per load, compaction, flush and refusal, and none per keystroke", () => {
    const lines = server
      .output()
      .split("\n")
      .filter((l) => l.startsWith('{"edgesync"'))
      .map(
        (l) =>
          JSON.parse(l) as { edgesync: string; doc: string | null; ts: number } & Record<
            string,
            unknown
          >,
      );
    const find = (kind: string, doc: string, more: Record<string, unknown> = {}) =>
      lines.find(
        (l) =>
          l.edgesync === kind &&
          l.doc === doc &&
          Object.entries(more).every(([k, v]) => l[k] === v),
      );
    for (const line of lines) expect(typeof line.ts).toBe("number");
    expect(find("loaded", A, { source: "new" })).toBeDefined();
    expect(find("compacted", A)).toMatchObject({ backstop: false });
    expect(find("flushed", A)).toMatchObject({ generation: expect.any(Number), flushedSeq: 5 });
    expect(find("refused", B, { code: "invalid_update" })).toMatchObject({ origin: "rest" });
    expect(find("rate_limited", A, { code: 4529 })).toMatchObject({ origin: "socket" });
    const kinds = [
      "loaded",
      "compacted",
      "flushed",
      "flush_failed",
      "quarantined",
      "refused",
      "rate_limited",
      "deleted",
    ];
    for (const line of lines) expect(kinds).toContain(line.edgesync);
    // The typist's keystrokes were stored one by one, yet C has only its load, flushes and compactions.
    expect(lines.filter((l) => l.doc === C).length).toBeLessThan(TYPED.length);
  });
});
