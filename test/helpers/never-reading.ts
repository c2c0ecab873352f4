// A WebSocket opened by hand over TCP that stops reading right after the handshake: the server
// must queue everything it sends it. For tests that bound what such a client can make it hold.
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";

/** A masked client frame (RFC 6455 §5.2) carrying `payload` as a binary message. */
export function clientFrame(payload: Uint8Array): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x82, 0x80 | len])
      : len < 65536
        ? Buffer.from([0x82, 0xfe, len >> 8, len & 255])
        : (() => {
            const b = Buffer.alloc(10);
            b[0] = 0x82;
            b[1] = 0xff;
            b.writeBigUInt64BE(BigInt(len), 2);
            return b;
          })();
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** Opens `/sync/:docId` on 127.0.0.1:`port` by hand and stops reading after the handshake. */
export function neverReading(port: number, docId: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write(
        `GET /sync/${docId} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      ),
    );
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head.split("\r\n")[0]));
      socket.off("data", onData);
      socket.pause();
      resolve(socket);
    };
    socket.on("data", onData);
  });
}
