// GET /health: liveness for load balancers and the test harness.
import { createApp } from "../app";
import { settingsOf } from "../settings";

export const health = createApp().get("/health", (c) =>
  c.json({ ok: true, service: "edgesync", auth: settingsOf(c).authMode(c.env) }),
);
