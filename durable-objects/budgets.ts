// What sockets may cost a document: each socket's message and byte rate, a message budget the
// document's sockets share (the heaviest senders are refused first, never a light one), the
// bytes of large replies (sync step 2, awareness states) one socket may make the server queue,
// and free awareness echoes (stock clients re-send every awareness change they receive).
import type { RoomLimits } from "./config";
import { chargeQueue } from "../protocol/send-queue";
import type { Connection } from "./connection";

export class Budgets {
  /** The document's current window: messages counted in it and sockets that sent in it. */
  private readonly window = { start: -Infinity, epoch: 0, total: 0, active: 0 };

  constructor(
    private readonly limits: RoomLimits,
    private readonly now: () => number,
  ) {}

  /**
   * Charges one inbound frame to its socket and to the document; returns why it is refused, or
   * null. `relayed`: an awareness or stateless frame, which the room sends on to every socket, so
   * its bytes cost the document once per socket: they have a smaller budget of their own.
   */
  admit(conn: Connection, bytes: number, relayed = false): string | null {
    const { rateWindowMs, rateMessages, rateBytes, docRateMessages, docRateWindowMs } = this.limits;
    const now = this.now();
    let rate = conn.rate;
    if (!rate || now - rate.windowStart >= rateWindowMs) {
      rate = conn.rate = { windowStart: now, messages: 0, bytes: 0, relayed: 0 };
    }
    rate.messages++;
    rate.bytes += bytes;
    if (rate.messages > rateMessages || rate.bytes > rateBytes) return "rate limit exceeded";
    if (relayed && (rate.relayed += bytes) > this.limits.relayRateBytes)
      return "relay rate exceeded (awareness and stateless bytes)";

    const w = this.window;
    if (now - w.start >= docRateWindowMs) {
      w.start = now;
      w.epoch++;
      w.total = 0;
      w.active = 0;
    }
    if (conn.share?.epoch !== w.epoch) {
      conn.share = { epoch: w.epoch, messages: 0 };
      w.active++;
    }
    conn.share.messages++;
    w.total++;
    // Over budget, the sockets above an equal share are refused: a light sender never is.
    if (w.total > docRateMessages && conn.share.messages > docRateMessages / w.active) {
      return "document busy: this connection sends more than its share";
    }
    return null;
  }

  /**
   * Notes an awareness message sent to `conn`: its echo of it will be free. Not capped: a flood
   * is broadcast long before its echoes come back, and the free frames a socket can send are
   * never more than the awareness messages others made the server send it (charged to them).
   */
  creditEcho(conn: Connection): void {
    conn.echoCredit = (conn.echoCredit ?? 0) + 1;
  }

  /**
   * Gives back the charge of an awareness frame that changed nothing (an echo), while the socket
   * has been sent at least as many awareness messages: replaying stale states is not free.
   */
  refundEcho(conn: Connection, bytes: number): void {
    if (!conn.echoCredit) return;
    conn.echoCredit--;
    if (conn.rate) {
      conn.rate.messages--;
      conn.rate.bytes -= bytes;
      conn.rate.relayed -= bytes;
    }
    if (conn.share?.epoch === this.window.epoch) {
      conn.share.messages--;
      this.window.total--;
    }
  }

  /**
   * Charges a reply of `bytes` the socket asked for (sync step 2, awareness states). A client
   * that never reads makes the server queue every reply, so a socket may cause at most
   * `replyBudgetBytes`, refilled over `replyRefillMs`. Kept in the attachment: a hibernation
   * must not refill it. Returns false (nothing charged) when the reply does not fit.
   */
  chargeReply(conn: Connection, bytes: number): boolean {
    const { replyBudgetBytes: capacity, replyRefillMs } = this.limits;
    const now = this.now();
    const [tokens, at] = conn.state.reply ?? [capacity, now];
    const available = Math.min(capacity, tokens + ((now - at) * capacity) / replyRefillMs);
    if (bytes > available) return false;
    conn.state.reply = [available - bytes, now];
    conn.saveState();
    return true;
  }
}

/**
 * Records `bytes` about to be queued toward `conn`, or says why not: broadcasts (updates,
 * awareness, stateless) are refused once `maxQueuedBytes` of them wait unread; replies the socket
 * asked for (`reply`) are bounded by the reply budget instead (the rule: protocol/send-queue.ts).
 */
export function chargeSend(
  conn: Connection,
  bytes: number,
  reply: boolean,
  maxQueuedBytes: number,
): string | null {
  const out = (conn.outbound ??= { sent: 0, replies: [] });
  return chargeQueue(out, conn.queued?.() ?? 0, bytes, reply, maxQueuedBytes);
}

/** Size of a received frame in bytes (text frames by their length). */
export function byteLength(data: ArrayBuffer | string): number {
  return typeof data === "string" ? data.length : data.byteLength;
}
