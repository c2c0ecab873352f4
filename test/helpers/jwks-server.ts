// A stand-in identity provider's JWKS endpoint on 127.0.0.1 (a Node http server), for the
// workerd-idp test project. Tests inside workerd set the key set it serves and read how often
// it was fetched through its control routes:
//   GET  /jwks.json        the current key set (counted)
//   PUT  /control/jwks     replaces the key set (JSON body)
//   GET  /control/fetches  { fetches } so far
import { createServer, type Server } from "node:http";

export interface JwksServer {
  url: string;
  server: Server;
}

export async function startJwksServer(): Promise<JwksServer> {
  let jwks = JSON.stringify({ keys: [] });
  let fetches = 0;
  const server = createServer((req, res) => {
    const json = (status: number, body: string) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(body);
    };
    if (req.method === "GET" && req.url === "/jwks.json") {
      fetches++;
      return json(200, jwks);
    }
    if (req.method === "GET" && req.url === "/control/fetches")
      return json(200, JSON.stringify({ fetches }));
    if (req.method === "PUT" && req.url === "/control/jwks") {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        jwks = body;
        json(200, "{}");
      });
      return;
    }
    json(404, "{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps vitest alive: it lives as long as the run that started it.
  server.unref();
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}
