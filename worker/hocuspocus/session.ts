// One Hocuspocus client socket, held by the Worker invocation that accepted it: splits frames
// by document address and relays each document over a DocumentLink, a channel of the relay core
// opened through the app's own /sync/:id route with the document's token. Stateless by design: it
// holds nothing a restart could lose (see docs/multiplexing.md), so an evicted Worker only means a
// reconnect. Close codes are Hocuspocus's own on this door (HOCUSPOCUS_CLOSE below).
import { CloseCode, truncateReason } from "../../protocol/close-codes";
import {
  HocuspocusType,
  PONG,
  connectionLevelType,
  decodeClientAuth,
  decodeFrame,
  encodePermissionDenied,
  encodeTokenRequest,
  parseAddress,
  type HocuspocusFrame,
} from "../../protocol/hocuspocus";
import { ProtocolError } from "../../protocol/messages";
import type { RelayConnection } from "../relay/connection";
import { DocumentLink, UNAUTHORIZED_REASON, type HeldFrames, type LinkHost } from "./document-link";
import type { RelayLimits } from "./limits";

/**
 * Hocuspocus's close events (@hocuspocus/common CloseEvents.ts), used where its server uses them,
 * so a drop-in backend closes as Hocuspocus does: a frame it cannot read (a text frame, no
 * address) is `Unauthorized`; too many documents awaiting authentication, or too many frames or
 * bytes held for documents not open yet, is `ResetConnection`.
 */
export const HOCUSPOCUS_CLOSE = {
  Unauthorized: { code: 4401, reason: UNAUTHORIZED_REASON },
  ResetConnection: { code: 4205, reason: "Reset Connection" },
} as const;

export class HocuspocusSession implements LinkHost {
  private readonly links = new Map<string, DocumentLink>();
  /** Links not open yet (awaiting Auth, or opening): Hocuspocus's pending documents. */
  private readonly unopened = new Set<DocumentLink>();
  /**
   * Documents attached so far: each open that reached its Durable Object was one subrequest of
   * this invocation (see limits.ts); an open counts while under way, a refusal gives it back.
   */
  private attaches = 0;
  private closed = false;
  private readonly held: HeldFrames;

  constructor(
    private readonly socket: WebSocket,
    private readonly connection: RelayConnection,
    private readonly limits: RelayLimits,
  ) {
    this.held = { count: 0, max: limits.maxPendingMessages };
  }

  onMessage(data: ArrayBuffer | string): void {
    if (this.closed) return;
    if (typeof data === "string") return this.reset(HOCUSPOCUS_CLOSE.Unauthorized);
    const bytes = new Uint8Array(data);
    const connectionLevel = connectionLevelType(bytes);
    if (connectionLevel !== null) {
      if (connectionLevel === HocuspocusType.Ping) this.sendToClient(PONG);
      return;
    }
    let message: HocuspocusFrame;
    try {
      message = decodeFrame(bytes);
    } catch {
      // Without an address the frame cannot be pinned on one document.
      return this.reset(HOCUSPOCUS_CLOSE.Unauthorized);
    }
    const link = this.links.get(message.address) ?? this.newLink(message.address);
    if (!link) return;
    try {
      this.route(link, message);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // A malformed payload ends that document only, as a refused frame does in Hocuspocus.
      this.sendToClient(encodePermissionDenied(link.address, err.message));
      link.detach();
    }
  }

  private route(link: DocumentLink, message: HocuspocusFrame): void {
    const isAuth = message.type === HocuspocusType.Auth;
    switch (link.state) {
      case "waiting-auth":
        if (isAuth) return this.authenticate(link, decodeClientAuth(message.payload).token);
      // Hocuspocus holds every frame until the document is authenticated and loaded, within
      // caps for the whole connection (maxPendingMessages, maxPendingBytes).
      // falls through
      case "opening":
        if (isAuth) return; // a second Auth while the first is checked: nothing to change
        if (!link.hold(message)) this.reset(HOCUSPOCUS_CLOSE.ResetConnection);
        return;
      default:
        link.fromClient(message);
    }
  }

  private newLink(address: string): DocumentLink | null {
    if (this.unopened.size >= this.limits.maxPendingDocuments) {
      this.reset(HOCUSPOCUS_CLOSE.ResetConnection);
      return null;
    }
    const { documentName } = parseAddress(address);
    const link = new DocumentLink(
      address,
      documentName,
      this,
      this.connection.budgets.queue,
      this.held,
    );
    this.links.set(address, link);
    this.unopened.add(link);
    return link;
  }

  private authenticate(link: DocumentLink, token: string): void {
    if (this.attaches >= this.limits.maxAttaches) {
      const reason = `this socket attached ${this.limits.maxAttaches} documents; open a new one`;
      this.sendToClient(encodePermissionDenied(link.address, reason));
      link.detach();
      return;
    }
    this.attaches++;
    link.open(this.connection, token);
  }

  /** Sends toward the client; one that lets broadcasts pile up unread is closed with 4529. */
  sendToClient(frame: Uint8Array, reply = false): void {
    if (this.closed) return;
    let refused: string | null;
    try {
      refused = this.connection.toClient(frame, reply);
    } catch {
      return this.onClose(); // the client is gone; its close event follows
    }
    if (refused) this.failSocket(CloseCode.RateLimited, refused);
  }

  opened(link: DocumentLink): void {
    this.unopened.delete(link);
  }

  refusedAttach(): void {
    // A refusal costs no subrequest: the app refused before reaching the Durable Object.
    this.attaches--;
  }

  requestToken(link: DocumentLink): void {
    this.unopened.add(link);
    this.sendToClient(encodeTokenRequest(link.address));
  }

  forget(link: DocumentLink): void {
    this.unopened.delete(link);
    if (this.links.get(link.address) === link) this.links.delete(link.address);
  }

  failSocket(code: number, reason: string): void {
    if (this.closed) return;
    try {
      this.socket.close(code, truncateReason(reason));
    } catch (err) {
      console.error(`edgesync: closing a Hocuspocus socket failed: ${String(err)}`);
    }
    this.onClose();
  }

  private reset({ code, reason }: { code: number; reason: string }): void {
    this.failSocket(code, reason);
  }

  /** The client left: close every document's socket (the documents drop its awareness). */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const link of [...this.links.values()]) link.detach();
  }
}
