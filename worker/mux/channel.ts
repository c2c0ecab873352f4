// One channel of a /mux socket: the WebSocket a direct client would have opened to
// `/sync/<docId>?ext=1`, opened through the app itself and relayed frame for frame. Frames sent
// before it opens are queued (bounded); its close code and reason reach the client as CLOSED.
import { CloseCode } from "../../protocol/close-codes";
import { MuxServerKind, encodeClose, encodeMuxFrame, encodeText } from "../../protocol/mux";
import { closeCodeForStatus } from "../routes/socket";

/** What a channel needs from its socket. */
export interface ChannelHost {
  sendToClient(frame: Uint8Array): void;
  /** The channel ended (closed by either side or refused): forget it. */
  forget(channel: MuxChannel): void;
}

/** The app's own request handler: auth, doc-id and origin checks and the upgrade, one code path. */
export type Dispatch = (request: Request) => Promise<Response>;

type ChannelState = "opening" | "open" | "closed";

export class MuxChannel {
  private state: ChannelState = "opening";
  private queue: (Uint8Array | string)[] = [];
  queuedBytes = 0;
  private ws: WebSocket | null = null;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    private readonly maxQueuedBytes: number,
  ) {}

  /** Opens the document's socket by dispatching `request`, then relays what was queued. */
  async open(request: Request, dispatch: Dispatch): Promise<void> {
    let response: Response;
    try {
      response = await dispatch(request);
    } catch (err) {
      console.error(`edgesync: mux channel ${this.id} failed to open: ${String(err)}`);
      return this.end(CloseCode.InternalError, "internal error opening the document");
    }
    const ws = response.webSocket;
    if (this.state !== "opening") {
      // The client closed the channel (or left) while we connected.
      if (ws) (ws.accept(), ws.close(1000, "channel closed"));
      return;
    }
    if (response.status !== 101 || !ws) return this.refused(response);
    ws.binaryType = "arraybuffer"; // not Blobs (the compatibility date's default)
    ws.accept();
    this.ws = ws;
    this.state = "open";
    this.host.sendToClient(encodeMuxFrame(this.id, MuxServerKind.Opened));
    ws.addEventListener("message", (event) => this.fromDocument(event.data));
    ws.addEventListener("close", (event) => this.end(event.code, event.reason));
    ws.addEventListener("error", () => this.end(1006, "document socket failed"));
    const held = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const frame of held) this.fromClient(frame);
  }

  /** A binary or text frame from the client for this channel's document. */
  fromClient(frame: Uint8Array | string): void {
    if (this.state === "opening") {
      this.queue.push(frame);
      this.queuedBytes += typeof frame === "string" ? frame.length : frame.byteLength;
      if (this.queuedBytes > this.maxQueuedBytes) {
        this.end(CloseCode.RateLimited, "too many bytes before the document's socket opened");
      }
      return;
    }
    if (this.state !== "open") return;
    try {
      this.ws!.send(frame);
    } catch {
      // The document's socket is closing; its close event ends the channel.
    }
  }

  /** The client closed the channel: close the document's socket, tell the client nothing. */
  close(code: number, reason: string): void {
    if (this.state === "closed") return;
    const ws = this.ws;
    this.state = "closed";
    this.queue = [];
    this.host.forget(this);
    // close() only takes 1000 and 3000–4999; anything else becomes a normal close.
    const valid = code === 1000 || (code >= 3000 && code <= 4999);
    try {
      ws?.close(valid ? code : 1000, reason);
    } catch {
      // already closed
    }
  }

  private fromDocument(data: ArrayBuffer | string): void {
    if (this.state !== "open") return;
    this.host.sendToClient(
      typeof data === "string"
        ? encodeText(this.id, MuxServerKind.Text, data)
        : encodeMuxFrame(this.id, MuxServerKind.Frame, new Uint8Array(data)),
    );
  }

  /** A refusal answered over HTTP (a doc id the app rejects): its code and message as CLOSED. */
  private async refused(response: Response): Promise<void> {
    let reason = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      if (body.error) reason = `${body.error.code}: ${body.error.message}`;
    } catch {
      // not our JSON error shape: the status says enough
    }
    const fallback = response.status >= 500 ? CloseCode.InternalError : CloseCode.ProtocolError;
    this.end(closeCodeForStatus(response.status, fallback), reason);
  }

  /** The document's side ended: tell the client with CLOSED and forget the channel. */
  end(code: number, reason: string): void {
    if (this.state === "closed") return;
    const ws = this.ws;
    this.state = "closed";
    this.queue = [];
    this.host.forget(this);
    this.host.sendToClient(encodeClose(this.id, MuxServerKind.Closed, code, reason));
    try {
      ws?.close(1000, "channel closed");
    } catch {
      // already closed
    }
  }

  /** The client's socket is gone: close the document's socket. */
  drop(): void {
    this.close(1001, "mux socket closed");
  }
}
