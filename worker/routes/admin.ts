// The operators' routes under /v1 (admin role): a document's stats with counters, sockets and
// presence; compaction and D1 replication on demand; and the totals across documents in
// Prometheus' text format. The inspector page (admin-page.ts) uses only these and the public API.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { D1Record } from "../../durable-objects/storage/d1-record";
import type { AppEnv } from "../app";
import { authorize, authorizePrefix } from "../auth";
import { docNameFromUrl, rawParam } from "../doc-id";
import { callDocument, unwrap } from "../documents";
import { ApiError } from "../errors";
import { settingsOf } from "../settings";
import { PROMETHEUS_TYPE, prometheusText } from "./admin-prometheus";
import { InspectSchema, PersistSchema } from "./admin-schemas";
import { errors, IdParam } from "./schemas";

export const admin = new OpenAPIHono<AppEnv>();

const docIdOf = (c: Context) => docNameFromUrl(c, rawParam(c, "id"));

admin.openapi(
  createRoute({
    method: "get",
    path: "/v1/docs/{id}/stats",
    summary: "A document's stats, counters, sockets and presence (admin)",
    request: { params: IdParam },
    responses: {
      200: {
        description: "the operators' view of the document",
        content: { "application/json": { schema: InspectSchema } },
      },
      ...errors(400, 401, 403, 404, 503),
    },
  }),
  async (c) => {
    const id = docIdOf(c);
    await authorize(c, id, "admin");
    const { stats, connections, presence } = unwrap(
      await callDocument(c, id, async (stub) => await stub.inspect(id)),
    );
    return c.json({ stats, connections, presence }, 200);
  },
);

for (const [action, summary] of [
  ["compact", "Fold the document's update log into a snapshot now (admin)"],
  ["flush", "Replicate the document to D1 now, compacting first (admin)"],
] as const) {
  admin.openapi(
    createRoute({
      method: "post",
      path: `/v1/docs/{id}/${action}`,
      summary,
      request: { params: IdParam },
      responses: {
        200: {
          description: "done: the replication state after it",
          content: { "application/json": { schema: PersistSchema } },
        },
        ...errors(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const id = docIdOf(c);
      await authorize(c, id, "admin");
      const result = unwrap(
        await callDocument(c, id, async (stub) =>
          action === "compact" ? await stub.compactNow(id) : await stub.flushNow(id),
        ),
      );
      return c.json({
        d1: result.d1,
        logRows: result.logRows,
        snapshotBytes: result.snapshotBytes,
      });
    },
  );
}

admin.openapi(
  createRoute({
    method: "get",
    path: "/v1/metrics",
    summary: "Totals across documents in Prometheus text format (admin of every document)",
    description:
      "Sums of the counters each document copies beside its D1 index row after each flush and " +
      "within METRICS_WRITE_MS of a change (docs/operations.md, Metrics).",
    responses: {
      200: {
        description: "Prometheus text exposition format 0.0.4",
        content: { "text/plain": { schema: z.string() } },
      },
      ...errors(401, 403),
    },
  }),
  async (c) => {
    await authorizePrefix(c, "", "admin");
    const totals = await new D1Record(settingsOf(c).db(c.env)).metricTotals().catch((err) => {
      const message = String((err as Error)?.message ?? err);
      if (/no such (column|table)/.test(message))
        throw new ApiError(
          500,
          "d1_not_migrated",
          `edgesync's D1 tables lack the metrics columns (${message}): apply its migrations with \`wrangler d1 migrations apply <binding>\``,
        );
      throw err;
    });
    return c.text(prometheusText(totals), 200, { "Content-Type": PROMETHEUS_TYPE });
  },
);
