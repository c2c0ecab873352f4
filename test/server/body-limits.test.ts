// Hostile request bodies against the real server: a body is never read before the request is
// authenticated, and one over the cap is refused while it streams, with or without
// Content-Length. What the workerd runtime holds stays bounded (RSS read from /proc).
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nowSeconds, signed } from "../helpers/jwt";
import { rssBytes, sampleRss, workerdRuntimePid } from "../helpers/process-memory";
import { startServer, type RunningServer } from "../helpers/server";
import { uniqueDocId } from "../helpers/providers";

const SECRET = "a-local-secret-for-the-body-limit-test";
const MB = 1024 * 1024;
/** Size of each hostile body (the attack: three of these grew workerd by 1.4 GB). */
const HOSTILE_BODY_BYTES = 200 * MB;
/** How many hostile bodies stream at once. */
const HOSTILE_REQUESTS = 3;
/** Most the workerd runtime's RSS may grow while they stream. */
const MAX_RSS_GROWTH_BYTES = 50 * MB;
/** Bytes per write of the streaming client (one buffer, reused: the client allocates no body). */
const WRITE_BYTES = 64 * 1024;
/** How often RSS is sampled while the bodies stream. */
const RSS_SAMPLE_MS = 50;

interface Outcome {
  /** The HTTP status, or 0 when the connection was cut before an answer could be read. */
  status: number;
  /** The JSON error code, or null (no JSON answer). */
  code: string | null;
  /** Body bytes the client had handed to its socket when the answer (or the cut) came. */
  sent: number;
}

/**
 * POSTs a JSON sync body of `total` bytes, chunked (no Content-Length) unless `contentLength`,
 * generated as it goes; stops sending as soon as the server answers or cuts the connection.
 */
function streamSync(
  url: string,
  total: number,
  headers: Record<string, string> = {},
  contentLength = false,
): Promise<Outcome> {
  const prefix = Buffer.from('{"stateVector":"AA","update":"');
  const suffix = Buffer.from('"}');
  const filler = Buffer.alloc(WRITE_BYTES, "A");
  return new Promise((resolve) => {
    const req = request(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(contentLength ? { "Content-Length": String(total) } : {}),
        ...headers,
      },
    });
    let sent = 0;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(outcome);
    };
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        let code: string | null = null;
        try {
          code = (JSON.parse(text) as { error?: { code: string } }).error?.code ?? null;
        } catch {
          code = null;
        }
        settle({ status: res.statusCode ?? 0, code, sent });
      });
    });
    // The Worker refuses while the body is still coming and cancels it; wrangler dev's proxy in
    // front of it then loses the connection it was uploading on and drops ours (EPIPE, ECONNRESET
    // or its own plain-text 500) instead of passing the refusal on.
    req.on("error", () => settle({ status: 0, code: null, sent }));
    const pump = () => {
      while (!settled) {
        const left = total - sent - suffix.length;
        if (left <= 0) {
          req.end(suffix);
          sent += suffix.length;
          return;
        }
        const piece =
          sent === 0 ? prefix : left < filler.length ? filler.subarray(0, left) : filler;
        sent += piece.length;
        if (!req.write(piece)) {
          req.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

/** The Worker's refusal reached the client, or wrangler dev's proxy cut the connection (see above). */
function expectRefusedEarly(outcome: Outcome, status: number, code: string): void {
  const refused = outcome.status === status && outcome.code === code;
  const cut = outcome.status === 0 || (outcome.status === 500 && outcome.code === null);
  expect(refused || cut, JSON.stringify(outcome)).toBe(true);
  expect(outcome.sent).toBeLessThan(HOSTILE_BODY_BYTES);
}

async function underAttack(server: RunningServer, run: () => Promise<Outcome[]>) {
  const pid = workerdRuntimePid(server.pid());
  const before = rssBytes(pid);
  const sampler = sampleRss(pid, RSS_SAMPLE_MS);
  let peak: number;
  let outcomes: Outcome[];
  try {
    outcomes = await run();
  } finally {
    peak = sampler.stop();
  }
  const growth = peak - before;
  console.log(
    `workerd RSS ${(before / MB).toFixed(0)} MB -> peak ${(peak / MB).toFixed(0)} MB (+${(growth / MB).toFixed(1)} MB); answers ${JSON.stringify(outcomes)}`,
  );
  return { outcomes, growth };
}

describe("request bodies under hostile clients", () => {
  describe("with tokens", () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer({ vars: { AUTH_SECRET: SECRET } });
    });
    afterAll(async () => {
      await server?.dispose();
    });

    it(`refuses ${HOSTILE_REQUESTS} unauthenticated ${HOSTILE_BODY_BYTES / MB} MB chunked bodies with 401 before reading them`, async () => {
      const { outcomes, growth } = await underAttack(server, () =>
        Promise.all(
          Array.from({ length: HOSTILE_REQUESTS }, () =>
            streamSync(`${server.url}/v1/docs/${uniqueDocId("hostile")}/sync`, HOSTILE_BODY_BYTES),
          ),
        ),
      );
      for (const o of outcomes) expectRefusedEarly(o, 401, "missing_token");
      expect(growth).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    });

    it("refuses an authenticated body over the cap with 413 while it streams, chunked or with Content-Length", async () => {
      const docId = uniqueDocId("hostile");
      const auth = {
        Authorization: `Bearer ${await signed({ doc: docId, role: "write", exp: nowSeconds() + 600 }, SECRET)}`,
      };
      const url = `${server.url}/v1/docs/${docId}/sync`;
      const { outcomes, growth } = await underAttack(server, async () => [
        await streamSync(url, HOSTILE_BODY_BYTES, auth),
        await streamSync(url, HOSTILE_BODY_BYTES, auth, true),
      ]);
      for (const o of outcomes) expectRefusedEarly(o, 413, "payload_too_large");
      expect(growth).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    });
  });

  describe("with open access (npm start)", () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(async () => {
      await server?.dispose();
    });

    it("refuses a chunked body over the cap with 413 while it streams", async () => {
      const { outcomes, growth } = await underAttack(server, async () => [
        await streamSync(
          `${server.url}/v1/docs/${uniqueDocId("hostile")}/sync`,
          HOSTILE_BODY_BYTES,
        ),
      ]);
      expectRefusedEarly(outcomes[0]!, 413, "payload_too_large");
      expect(growth).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    });
  });
});
