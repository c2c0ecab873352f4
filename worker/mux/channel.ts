// One channel of a /mux socket: the relay core's channel (worker/relay/channel.ts), its frames
// wrapped in mux frames toward the client; its close code and reason reach the client as CLOSED.
import type { Handoff } from "../../durable-objects/contract";
import { CloseCode } from "../../protocol/close-codes";
import { MuxServerKind, encodeClose, encodeMuxFrame, encodeText } from "../../protocol/mux";
import type { ChannelEvents, RelayChannel } from "../relay/channel";
import type { RelayConnection } from "../relay/connection";

/** What a channel needs from its socket. */
export interface ChannelHost {
  /** `reply`: a sync step 2 (see RelayConnection.toClient). */
  sendToClient(frame: Uint8Array, reply?: boolean): void;
  /** The channel ended (closed by either side or refused): forget it. */
  forget(channel: MuxChannel): void;
}

export class MuxChannel implements ChannelEvents {
  private readonly channel: RelayChannel;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    connection: RelayConnection,
    docId: string,
    query: string,
  ) {
    this.channel = connection.open(this, docId, query);
  }

  opened(_handoff: Handoff): void {
    this.host.sendToClient(encodeMuxFrame(this.id, MuxServerKind.Opened));
  }

  message(data: ArrayBuffer | string, reply: boolean): void {
    this.host.sendToClient(
      typeof data === "string"
        ? encodeText(this.id, MuxServerKind.Text, data)
        : encodeMuxFrame(this.id, MuxServerKind.Frame, new Uint8Array(data)),
      reply,
    );
  }

  ended(code: number, reason: string): void {
    this.host.forget(this);
    this.host.sendToClient(encodeClose(this.id, MuxServerKind.Closed, code, reason));
  }

  /** A binary or text frame from the client for this channel's document. */
  fromClient(frame: Uint8Array | string): void {
    if (!this.channel.send(frame)) {
      this.end(CloseCode.RateLimited, "too many bytes queued before the documents' sockets opened");
    }
  }

  /** The client closed the channel: close the document's socket, tell the client nothing. */
  close(code: number, reason: string): void {
    this.host.forget(this);
    this.channel.close(code, reason);
  }

  /** Bad input on this channel: close the document's socket and tell the client with CLOSED. */
  end(code: number, reason: string): void {
    this.close(1000, "channel closed");
    this.ended(code, reason);
  }

  /** The client's socket is gone: close the document's socket. */
  drop(): void {
    this.close(1001, "mux socket closed");
  }
}
