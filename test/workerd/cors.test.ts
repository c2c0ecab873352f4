// CORS on the REST API with ALLOWED_ORIGINS = "*" (wrangler.toml): any origin may call it, with
// the wildcard allow header and never credentials.
import { describe, expect, it } from "vitest";
import { fetchWorker, uniqueDocId } from "../helpers/workerd-socket";

const ORIGIN = "https://any-app.example.org";

describe("CORS with ALLOWED_ORIGINS=*", () => {
  it("answers any origin's preflight with the wildcard and no credentials", async () => {
    const res = await fetchWorker(`/v1/docs/${uniqueDocId()}/sync`, {
      method: "OPTIONS",
      headers: {
        Origin: ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
    expect(res.headers.get("Access-Control-Allow-Headers")!.toLowerCase().split(",")).toEqual(
      expect.arrayContaining(["authorization", "content-type"]),
    );
  });

  it("marks responses, errors included, readable by any origin", async () => {
    const missing = await fetchWorker(`/v1/docs/${uniqueDocId()}/json`, {
      headers: { Origin: ORIGIN },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const spec = await fetchWorker("/v1/openapi.json", { headers: { Origin: ORIGIN } });
    expect(spec.status).toBe(200);
    expect(spec.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });
});
