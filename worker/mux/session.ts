// One /mux client socket, held by the Worker invocation that accepted it: splits frames by
// channel and relays each channel over a MuxChannel. Holds nothing a restart could lose: each
// channel is an ordinary `?ext=1` socket of its document, so an evicted Worker means a reconnect.
import { CloseCode, truncateReason } from "../../protocol/close-codes";
import { ProtocolError } from "../../protocol/messages";
import {
  MUX_PING,
  MUX_PONG,
  MuxClientKind,
  MuxServerKind,
  decodeClose,
  decodeMuxFrame,
  decodeOpen,
  decodeText,
  encodeClose,
  type MuxFrame,
} from "../../protocol/mux";
import type { RelayConnection } from "../relay/connection";
import { MuxChannel, type ChannelHost } from "./channel";
import type { MuxLimits } from "./limits";

export class MuxSession implements ChannelHost {
  private readonly channels = new Map<number, MuxChannel>();
  /** The highest channel id opened so far: ids must increase, so none is ever reused. */
  private highest = -1;
  /** Channels opened so far: each was one subrequest of this invocation (see limits.ts). */
  private opened = 0;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly connection: RelayConnection,
    private readonly limits: MuxLimits,
  ) {}

  onMessage(data: ArrayBuffer | string): void {
    if (this.closed) return;
    if (typeof data === "string") {
      if (data === MUX_PING) return this.send(MUX_PONG);
      return this.fail(CloseCode.ProtocolError, "text outside a channel must be 'ping'");
    }
    if (data.byteLength > this.limits.maxFrameBytes) {
      return this.fail(CloseCode.MessageTooBig, `frame over ${this.limits.maxFrameBytes} bytes`);
    }
    let frame: MuxFrame;
    try {
      frame = decodeMuxFrame(new Uint8Array(data));
    } catch (err) {
      return this.fail(CloseCode.ProtocolError, (err as Error).message);
    }
    if (frame.kind === MuxClientKind.Open) return this.open(frame);
    const channel = this.channels.get(frame.channel);
    if (!channel) {
      // Frames racing a CLOSED are dropped; a channel never opened is the client's bug.
      if (frame.channel > this.highest)
        this.fail(CloseCode.ProtocolError, `channel ${frame.channel} was never opened`);
      return;
    }
    try {
      switch (frame.kind) {
        case MuxClientKind.Frame:
          return channel.fromClient(frame.payload);
        case MuxClientKind.Text:
          return channel.fromClient(decodeText(frame.payload));
        case MuxClientKind.Close: {
          const { code, reason } = decodeClose(frame.payload);
          return channel.close(code, reason);
        }
        default:
          return this.fail(CloseCode.ProtocolError, `unknown mux kind ${frame.kind}`);
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      channel.end(CloseCode.ProtocolError, err.message); // that channel only
    }
  }

  private open(frame: MuxFrame): void {
    if (frame.channel <= this.highest) {
      return this.fail(CloseCode.ProtocolError, `channel ids must increase (${frame.channel})`);
    }
    this.highest = frame.channel;
    const refuse = (code: number, reason: string) =>
      this.sendToClient(encodeClose(frame.channel, MuxServerKind.Closed, code, reason));
    let docId: string;
    let query: string;
    try {
      ({ docId, query } = decodeOpen(frame.payload));
    } catch (err) {
      return refuse(CloseCode.ProtocolError, (err as Error).message);
    }
    if (this.opened >= this.limits.maxChannels) {
      return refuse(
        CloseCode.RateLimited,
        `this socket opened ${this.limits.maxChannels} channels; open a new socket`,
      );
    }
    this.opened++;
    const channel = new MuxChannel(frame.channel, this, this.connection, docId, query);
    this.channels.set(frame.channel, channel);
  }

  sendToClient(frame: Uint8Array, reply = false): void {
    this.send(frame, reply);
  }

  forget(channel: MuxChannel): void {
    this.channels.delete(channel.id);
  }

  /** The client's socket closed or failed: close every document socket. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of [...this.channels.values()]) channel.drop();
  }

  /** Bad input that cannot be pinned on one channel: close the whole socket with `code`. */
  private fail(code: number, reason: string): void {
    this.onClose();
    try {
      this.socket.close(code, truncateReason(reason));
    } catch {
      // already closed
    }
  }

  /** Sends toward the client; one that lets broadcasts pile up unread is closed with 4529. */
  private send(data: Uint8Array | string, reply = false): void {
    if (this.closed) return;
    let refused: string | null;
    try {
      refused = this.connection.toClient(data, reply);
    } catch {
      return; // The client's socket is closing; its close event ends the session.
    }
    if (refused) this.fail(CloseCode.RateLimited, refused);
  }
}
