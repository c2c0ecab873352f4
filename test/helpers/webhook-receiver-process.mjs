// The webhook receiver's process (webhook-receiver.ts starts it): its own event loop, so a busy
// test process never delays an answer. Checks each delivery's signature with Node's crypto, as
// docs/webhooks.md shows, and reports it to the parent; answers as the parent's mode says.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.WEBHOOK_SECRET;
const lateMs = Number(process.env.WEBHOOK_LATE_MS);
let mode = "ok";
let refused = new Set();
process.on("message", (msg) => {
  if (msg.mode) mode = msg.mode;
  if (msg.refuse) refused = new Set(msg.refuse);
});

function verified(headers, body) {
  const timestamp = headers["x-edgesync-webhook-timestamp"];
  const signature = headers["x-edgesync-webhook-signature"] ?? "";
  const expected =
    "v1=" + createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
  return (
    fresh &&
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const at = Date.now();
    const event = JSON.parse(body);
    const ok = verified(req.headers, body);
    const refuse = mode === "fail" || refused.has(event.documentId);
    process.send({ body, headers: req.headers, at, verified: ok, processed: ok && !refuse, mode });
    if (refuse) return res.writeHead(500).end("down");
    if (mode === "late") return setTimeout(() => res.end("ok, late"), lateMs);
    res.end("ok");
  });
});
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
