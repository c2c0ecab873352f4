// The OpenAPI description of the REST API: valid per the OpenAPI 3.0 schema (a real validator),
// with the token schemes applied, the server it came from, the document-name rule as a pattern,
// and 415 where a JSON body is required.
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { MAX_DOC_NAME_BYTES, docNameProblem } from "../../protocol/doc-name";
import { docs } from "./docs";

type Operation = {
  parameters?: {
    name: string;
    in: string;
    schema: { pattern?: string; minLength?: number; maxLength?: number };
  }[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, unknown>;
};
type Spec = {
  servers?: { url: string }[];
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, Record<string, string>> };
  paths: Record<string, Record<string, Operation>>;
};

async function fetchSpec(): Promise<Spec> {
  const res = await docs.request(
    "https://sync.example.com/v1/openapi.json",
    {},
    { ALLOWED_ORIGINS: "*" },
  );
  expect(res.status).toBe(200);
  return (await res.json()) as Spec;
}
const operations = (spec: Spec) =>
  Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );

describe("GET /v1/openapi.json", () => {
  it("is a valid OpenAPI 3.0 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(
      structuredClone(await fetchSpec()) as Parameters<Validator["validate"]>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.0");
  });

  it("declares the bearer and ?token= schemes for every route, and the server it came from", async () => {
    const spec = await fetchSpec();
    expect(spec.components?.securitySchemes).toMatchObject({
      bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      token: { type: "apiKey", in: "query", name: "token" },
    });
    expect(spec.security).toEqual([{ bearer: [] }, { token: [] }]);
    for (const { op } of operations(spec))
      expect((op as { security?: unknown }).security).toBeUndefined();
    expect(spec.servers).toEqual([{ url: "https://sync.example.com" }]);
  });

  it("gives the document-name rule as a pattern and lengths that agree with the server's check", async () => {
    const spec = await fetchSpec();
    const idParams = operations(spec).flatMap(({ op }) =>
      (op.parameters ?? []).filter((p) => p.in === "path" && p.name === "id"),
    );
    expect(idParams.length).toBeGreaterThanOrEqual(6);
    for (const { schema } of idParams) {
      expect(schema).toMatchObject({
        minLength: 1,
        maxLength: MAX_DOC_NAME_BYTES,
        pattern: expect.any(String),
      });
      const pattern = new RegExp(schema.pattern!);
      for (const id of [
        "a",
        "team-42:notes",
        "x.y_z~@",
        "with space",
        "a/b",
        "é",
        "?",
        "漢字 🌟",
        "..",
        "a\u0000b",
        "tab\there",
        "del\u007f",
        "c1\u0085",
        "",
        "x".repeat(MAX_DOC_NAME_BYTES),
      ]) {
        expect([id, pattern.test(id) && id.length <= schema.maxLength!]).toEqual([
          id,
          docNameProblem(id) === null,
        ]);
      }
      // maxLength counts characters: the byte limit is checked by the server alone.
      expect(docNameProblem("é".repeat(MAX_DOC_NAME_BYTES))).toMatch(/bytes/);
    }
  });

  it("marks request bodies required and declares 415 where a JSON body is required", async () => {
    const withBody = operations(await fetchSpec()).filter(({ op }) => op.requestBody);
    expect(withBody.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      "post /v1/docs/{id}/restore",
      "post /v1/docs/{id}/revert",
      "post /v1/docs/{id}/sync",
      "post /v1/docs/{id}/update",
      "post /v1/docs/{id}/versions",
      "post /v1/sync",
    ]);
    for (const { op } of withBody) {
      expect(op.requestBody!.required).toBe(true);
      if ("application/json" in op.requestBody!.content)
        expect(Object.keys(op.responses)).toContain("415");
    }
  });
});
