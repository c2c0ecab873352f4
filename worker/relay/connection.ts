// The shared core of the relays (/mux for our SDK, /hocuspocus for Tiptap's providers): the Worker
// accepts the client's socket itself and opens each document as a channel through the app's own
// `/sync/:id` route, so doc-id, origin, token and role checks are that route's code, with the Auth
// of the relay's socket (worker/auth.ts `relayTicket`). Each door is a thin protocol translator.
import type { Context } from "hono";
import { DOC_NAME_QUERY, docNameInUrl, isDotSegment } from "../../protocol/doc-name";
import { chargeQueue, type SendQueue } from "../../protocol/send-queue";
import type { AppEnv, EdgesyncBindings } from "../app";
import { authOf, relayTicket, setBearer } from "../auth";
import type { Auth } from "../auth/create-auth";
import { requireWebSocketUpgrade, UPGRADE_HEADERS } from "../errors";
import { QueueBudget, ReplyBudget } from "./budgets";
import { RelayChannel, type ChannelEvents, type ConnectionBudgets, type Dispatch } from "./channel";
import type { RelayBudgetLimits } from "./limits";

/** The app the channels are dispatched through (its `fetch`, as the runtime calls it). */
export interface RelayApp {
  fetch(
    request: Request,
    env: EdgesyncBindings,
    ctx: Context<AppEnv>["executionCtx"],
  ): Response | Promise<Response>;
}

/** Request headers that belong to the client's own upgrade, never to a channel's. */
const OWN_HEADERS = [...UPGRADE_HEADERS, "Content-Length"];

/** One client socket of a relay: what each of its channels is opened with, and its sends. */
export class RelayConnection {
  readonly budgets: ConnectionBudgets;
  /** What was sent toward the client and which of it were replies (protocol/send-queue.ts). */
  private readonly outbound: SendQueue = { sent: 0, replies: [] };

  constructor(
    /** The client's socket, accepted by the Worker. */
    private readonly socket: WebSocket,
    /** The client's upgrade request: its URL and headers (cookies, API keys) reach each channel. */
    private readonly outer: Request,
    /** The Auth of the client's request, middleware-installed or the mount's, for every channel. */
    private readonly auth: Auth,
    private readonly dispatch: Dispatch,
    private readonly limits: RelayBudgetLimits,
  ) {
    this.budgets = {
      queue: new QueueBudget(limits.maxQueuedBytes),
      replies: new ReplyBudget(limits.replyBudgetBytes, limits.replyRefillMs),
    };
  }

  /**
   * Sends `frame` toward the client, or says why not (nothing sent): the relay reads its documents'
   * sockets at once, so their own bound never sees a client that stops reading; here the runtime
   * holds what the client has not read (the socket's `bufferedAmount`), bounded by the document's
   * rule: broadcasts past MAX_QUEUED_BYTES unread are refused, replies (`reply`: sync step 2,
   * charged to the reply budget by the channel) are not. The door then closes the client with
   * 4529: a client that stops reading loses nothing silently. Throws if the socket is closing.
   */
  toClient(frame: Uint8Array | string, reply = false): string | null {
    const bytes = typeof frame === "string" ? frame.length : frame.byteLength;
    const queued = this.socket.bufferedAmount;
    const refused = chargeQueue(this.outbound, queued, bytes, reply, this.limits.maxUnreadBytes);
    if (refused === null) this.socket.send(frame);
    return refused;
  }

  /**
   * Opens `docId` as a direct client would: `/sync/<docId>?<query>&ext=1` with the client's
   * headers, and `token` (when given) as its Bearer header instead of theirs.
   */
  open(events: ChannelEvents, docId: string, query: string, token?: string): RelayChannel {
    const url = new URL(this.outer.url);
    url.pathname = `/sync/${docNameInUrl(docId).segment}`;
    url.search = query;
    // The name is the frame's, as sent; `.` and `..` travel as ?doc= (protocol/doc-name.ts).
    url.searchParams.delete(DOC_NAME_QUERY);
    if (isDotSegment(docId)) url.searchParams.set(DOC_NAME_QUERY, docId);
    // Refusals and extensions (saved echo) as a direct SDK socket gets them.
    url.searchParams.set("ext", "1");
    const headers = new Headers(this.outer.headers);
    for (const name of OWN_HEADERS) headers.delete(name);
    headers.set("Upgrade", "websocket");
    headers.set("Connection", "Upgrade");
    if (token !== undefined) setBearer(url, headers, token);
    const request = new Request(url, { headers });
    const ticket = relayTicket(request, this.auth);
    const channel = new RelayChannel(events, this.budgets);
    void channel.open(request, ticket, this.dispatch);
    return channel;
  }
}

/** What a door does with its accepted socket. */
export interface RelaySession {
  onMessage(data: ArrayBuffer | string): void;
  onClose(): void;
}

/**
 * Accepts the client's socket in the Worker and hands it to the door's session, whose channels are
 * dispatched through `app` (the app's own routes, not the outer one the request came through).
 */
export function acceptRelay(
  c: Context<AppEnv>,
  app: RelayApp,
  limits: RelayBudgetLimits,
  session: (socket: WebSocket, connection: RelayConnection) => RelaySession,
): Response {
  requireWebSocketUpgrade(c);
  const { env, executionCtx } = c;
  const dispatch = async (request: Request) => app.fetch(request, env, executionCtx);
  const { 0: client, 1: server } = new WebSocketPair();
  server.binaryType = "arraybuffer"; // not Blobs (the compatibility date's default)
  server.accept();
  const connection = new RelayConnection(server, c.req.raw, authOf(c), dispatch, limits);
  const door = session(server, connection);
  server.addEventListener("message", (event) => door.onMessage(event.data));
  server.addEventListener("close", () => door.onClose());
  server.addEventListener("error", () => door.onClose());
  return new Response(null, { status: 101, webSocket: client });
}
