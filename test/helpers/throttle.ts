// A TCP proxy that plays a slow mobile link in front of the real server: each connection gets its
// own link of `bytesPerSecond` each way with `latencyMs` added, and the server's side is paused
// while the link is backed up (so the server's socket buffers fill as over a real slow network).
import { createServer, connect, type Server, type Socket } from "node:net";

export interface ThrottledLink {
  port: number;
  /** Connections made through the proxy so far. */
  connections: number;
  /** Bytes delivered to the client, per connection in the order they were made. */
  bytesDown: number[];
  /** Called for each new connection (its index from 0). */
  onConnection?: (index: number) => void;
  /** Cuts every open connection at once, as a network that drops. */
  cut(): void;
  close(): Promise<void>;
}

/** 1 Mbit/s, as the slow mobile link. */
export const MBIT_BYTES_PER_SECOND = 125_000;
const TICK_MS = 20;
/** Bytes held in a direction before its source socket is paused. */
const HIGH_WATER = 64 * 1024;

/** One direction of a link: bytes leave at the link's rate and arrive `latencyMs` later. */
function pipeThrottled(
  from: Socket,
  to: Socket,
  bytesPerSecond: number,
  latencyMs: number,
  delivered: (n: number) => void,
): () => void {
  const queue: Buffer[] = [];
  let held = 0;
  from.on("data", (chunk: Buffer) => {
    queue.push(chunk);
    held += chunk.length;
    if (held > HIGH_WATER) from.pause();
  });
  const perTick = Math.max(1, Math.round((bytesPerSecond * TICK_MS) / 1000));
  const timer = setInterval(() => {
    let budget = perTick;
    while (budget > 0 && queue.length > 0) {
      const head = queue[0]!;
      const slice = head.subarray(0, budget);
      if (slice.length === head.length) queue.shift();
      else queue[0] = head.subarray(budget);
      budget -= slice.length;
      held -= slice.length;
      setTimeout(() => {
        if (to.destroyed) return;
        to.write(slice);
        delivered(slice.length);
      }, latencyMs);
    }
    if (held <= HIGH_WATER && from.isPaused()) from.resume();
  }, TICK_MS);
  return () => clearInterval(timer);
}

/** Starts a throttling proxy to `127.0.0.1:targetPort`. */
export async function throttledLink(
  targetPort: number,
  bytesPerSecond = MBIT_BYTES_PER_SECOND,
  latencyMs = 100,
): Promise<ThrottledLink> {
  const open = new Set<Socket>();
  const link: ThrottledLink = {
    port: 0,
    connections: 0,
    bytesDown: [],
    cut() {
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        link.cut();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    const index = link.connections++;
    link.bytesDown.push(0);
    const upstream = connect(targetPort, "127.0.0.1");
    open.add(client).add(upstream);
    const stops = [
      pipeThrottled(client, upstream, bytesPerSecond, latencyMs, () => {}),
      pipeThrottled(
        upstream,
        client,
        bytesPerSecond,
        latencyMs,
        (n) => (link.bytesDown[index]! += n),
      ),
    ];
    const end = () => {
      for (const stop of stops) stop();
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on("close", end);
      socket.on("error", end);
    }
    link.onConnection?.(index);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  link.port = (server.address() as { port: number }).port;
  return link;
}
