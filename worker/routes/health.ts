// GET /health: liveness for load balancers and the test harness.
import { createApp } from "../app";

export const health = createApp().get("/health", (c) =>
  c.json({
    ok: true,
    service: "edgesync",
    auth:
      c.env.AUTH_SECRET || c.env.JWKS_URL || c.env.JWT_JWKS
        ? "token"
        : c.env.DEV_OPEN_ACCESS === "true"
          ? "open"
          : "unconfigured",
  }),
);
