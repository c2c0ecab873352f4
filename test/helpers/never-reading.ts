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
  return neverReadingAt(port, `/sync/${docId}`);
}

/** Opens the WebSocket at `path` (`/mux`, `/hocuspocus`…) and stops reading after the handshake. */
export function neverReadingAt(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      ),
    );
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(head.split("\r\n")[0]));
      socket.off("data", onData);
      socket.pause();
      // Bytes of the first frames that came with the handshake are put back for readCloseCode.
      const rest = Buffer.from(head.slice(end + 4), "latin1");
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on("data", onData);
  });
}

/** What a hand-opened socket received: bytes of frames so far, and the server's close code. */
export interface FrameWatch {
  /** Bytes of the frames read so far (headers included), the close frame excepted. */
  readonly bytes: number;
  /** The server's close code once its close frame is read (null: the connection ended without). */
  readonly closed: Promise<number | null>;
}

/**
 * Parses the frames a hand-opened socket reads, whenever it reads: `socket.resume()` reads (and
 * discards) what comes, `socket.pause()` stops reading again, so the server queues it.
 */
export function watchFrames(socket: Socket): FrameWatch {
  let buffer = Buffer.alloc(0);
  let resolveClosed!: (code: number | null) => void;
  const watch = {
    bytes: 0,
    closed: new Promise<number | null>((resolve) => (resolveClosed = resolve)),
  };
  socket.on("data", (chunk: Buffer) => {
    buffer = buffer.length > 0 ? Buffer.concat([buffer, chunk]) : chunk;
    // Server frames are unmasked (RFC 6455 §5.2): opcode, length, payload.
    for (;;) {
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (buffer.length < at + length) return;
      if ((buffer[0]! & 0x0f) === 0x8) {
        resolveClosed(length >= 2 ? buffer.readUInt16BE(at) : null);
        return void socket.destroy();
      }
      watch.bytes += at + length;
      buffer = buffer.subarray(at + length);
    }
  });
  socket.on("close", () => resolveClosed(null));
  return watch;
}
