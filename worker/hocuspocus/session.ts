// One Hocuspocus client socket, held by the Worker invocation that accepted it: splits frames
// by document address, authenticates each document with its own token, and relays it over a
// DocumentLink. Stateless by design: it holds nothing a restart could lose (see
// docs/multiplexing.md), so an evicted Worker only means a reconnect.
import type { Handoff } from "../../durable-objects/contract";
import { CloseCode } from "../../protocol/close-codes";
import {
  HocuspocusType,
  PONG,
  connectionLevelType,
  decodeClientAuth,
  decodeFrame,
  encodeAuthenticated,
  encodePermissionDenied,
  encodeTokenRequest,
  parseAddress,
  type HocuspocusFrame,
} from "../../protocol/hocuspocus";
import { ProtocolError } from "../../protocol/messages";
import type { Grant } from "../auth/create-auth";
import { docNameProblem } from "../../protocol/doc-name";
import { ApiError } from "../errors";
import type { DocumentNamespace } from "../settings";
import { DocumentLink, type LinkHost } from "./document-link";
import type { RelayLimits } from "./limits";

export class HocuspocusSession implements LinkHost {
  private readonly links = new Map<string, DocumentLink>();
  /** Documents attached so far: each was one subrequest of this invocation (see limits.ts). */
  private attaches = 0;
  private closed = false;

  /** `checkToken` checks a document's token as the mount's Auth checks one for /sync. */
  constructor(
    private readonly socket: WebSocket,
    private readonly documents: DocumentNamespace,
    private readonly checkToken: (docId: string, token: string) => Promise<Grant>,
    private readonly limits: RelayLimits,
  ) {}

  onMessage(data: ArrayBuffer | string): void {
    if (this.closed) return;
    if (typeof data === "string") {
      return this.failSocket(CloseCode.ProtocolError, "text frames are not Hocuspocus frames");
    }
    const bytes = new Uint8Array(data);
    const connectionLevel = connectionLevelType(bytes);
    if (connectionLevel !== null) {
      if (connectionLevel === HocuspocusType.Ping) this.sendToClient(PONG);
      return;
    }
    let message: HocuspocusFrame;
    try {
      message = decodeFrame(bytes);
    } catch (err) {
      // Without an address the frame cannot be pinned on one document.
      return this.failSocket(CloseCode.ProtocolError, (err as Error).message);
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
      case "refused":
      case "waiting-auth":
        // Hocuspocus holds every frame until the document's Auth message; a refused document
        // starts again with a new Auth message (a provider retrying), and drops the rest.
        if (isAuth) return void this.authenticate(link, decodeClientAuth(message.payload).token);
        if (link.state === "refused") return;
        link.hold(message);
        if (this.pendingBytes() > this.limits.maxPendingBytes) {
          this.failSocket(CloseCode.RateLimited, "too many bytes before authentication");
        }
        return;
      case "authenticating":
        if (!isAuth) link.hold(message);
        return;
      default:
        link.fromClient(message);
    }
  }

  private newLink(address: string): DocumentLink | null {
    const pending = [...this.links.values()].filter((l) => l.state === "waiting-auth").length;
    if (pending >= this.limits.maxPendingDocuments) {
      this.failSocket(CloseCode.RateLimited, "too many documents waiting for authentication");
      return null;
    }
    const link = new DocumentLink(address, parseAddress(address).documentName, this);
    this.links.set(address, link);
    return link;
  }

  private pendingBytes(): number {
    let total = 0;
    for (const link of this.links.values()) total += link.queuedBytes;
    return total;
  }

  private async authenticate(link: DocumentLink, token: string): Promise<void> {
    link.state = "authenticating";
    // A refresh answers our token request: Hocuspocus sends no Authenticated for it.
    const refresh = link.refreshing;
    const result = await this.verify(link.documentName, token);
    if (link.state !== "authenticating" || this.closed) return; // detached meanwhile
    if (!result.ok) {
      link.refuse();
      this.sendToClient(encodePermissionDenied(link.address, result.reason));
      return;
    }
    if (this.attaches >= this.limits.maxAttaches) {
      link.refuse();
      const reason = `this socket attached ${this.limits.maxAttaches} documents; open a new one`;
      this.sendToClient(encodePermissionDenied(link.address, reason));
      return;
    }
    this.attaches++;
    const readonly = result.handoff.role === "read";
    if (!refresh) {
      this.sendToClient(encodeAuthenticated(link.address, readonly ? "readonly" : "read-write"));
    }
    const stub = this.documents.get(this.documents.idFromName(link.documentName));
    await link.connect(stub, result.handoff, readonly);
  }

  /** The same checks as the /sync upgrade (worker/auth.ts), with the refusal as a reason. */
  private async verify(
    docId: string,
    token: string,
  ): Promise<{ ok: true; handoff: Handoff } | { ok: false; reason: string }> {
    const problem = docNameProblem(docId);
    if (problem) return { ok: false, reason: `invalid_doc_id: ${problem}` };
    try {
      const { role, exp, sub } = await this.checkToken(docId, token);
      return { ok: true, handoff: { docId, role, exp, ...(sub ? { sub } : {}) } };
    } catch (err) {
      if (err instanceof ApiError) return { ok: false, reason: `${err.code}: ${err.message}` };
      throw err;
    }
  }

  sendToClient(frame: Uint8Array): void {
    if (this.closed) return;
    try {
      this.socket.send(frame);
    } catch {
      this.onClose(); // the client is gone; its close event follows
    }
  }

  requestToken(link: DocumentLink): void {
    this.sendToClient(encodeTokenRequest(link.address));
  }

  forget(link: DocumentLink): void {
    if (this.links.get(link.address) === link) this.links.delete(link.address);
  }

  failSocket(code: number, reason: string): void {
    if (this.closed) return;
    try {
      this.socket.close(code, reason.slice(0, 120));
    } catch {
      // already closing
    }
    this.onClose();
  }

  /** The client left: close every document's socket (the documents drop its awareness). */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const link of [...this.links.values()]) link.detach();
  }
}
