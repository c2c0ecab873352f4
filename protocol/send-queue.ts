// What may wait unread toward one WebSocket, over the runtime's count of what it has not written
// yet (`bufferedAmount`): the one rule a document applies to its sockets (durable-objects/
// budgets.ts) and a relay in the Worker to a client's socket (worker/relay/). Pure: no I/O.

/**
 * Bytes handed to `send` on one socket (in memory), and the ranges of them that were replies the
 * client asked for, in that count's coordinates.
 */
export interface SendQueue {
  sent: number;
  replies: [start: number, end: number][];
}

/** Reply ranges remembered per socket; beyond it the oldest two are merged (more lenient). */
const MAX_REPLY_RANGES = 32;

/**
 * Records `bytes` about to be sent toward a socket with `queued` bytes not yet written, or says
 * why not. A client that never reads makes the runtime hold everything sent to it:
 * broadcasts are refused once `maxQueuedBytes` of them wait unread. Replies the client asked for
 * (`reply`) are bounded by a reply budget instead, so a slow link's first sync of a large
 * document does not count here: the runtime's queue is FIFO, so the reply bytes still in it are
 * the reply ranges past what has drained. A message always fits a queue holding no broadcasts
 * (a large update to a reader that keeps up).
 */
export function chargeQueue(
  out: SendQueue,
  queued: number,
  bytes: number,
  reply: boolean,
  maxQueuedBytes: number,
): string | null {
  const drained = out.sent - queued;
  let replyQueued = 0;
  if (out.replies.length > 0) {
    out.replies = out.replies.filter(([, end]) => end > drained);
    for (const [start, end] of out.replies) replyQueued += end - Math.max(start, drained);
  }
  const unread = queued - replyQueued;
  if (!reply && unread > 0 && unread + bytes > maxQueuedBytes) {
    return `not reading: ${unread} bytes of broadcasts queued, limit ${maxQueuedBytes}`;
  }
  if (reply) {
    const last = out.replies[out.replies.length - 1];
    if (last && last[1] === out.sent) last[1] += bytes;
    else out.replies.push([out.sent, out.sent + bytes]);
    if (out.replies.length > MAX_REPLY_RANGES) {
      const [first, second] = out.replies.splice(0, 2) as [Range, Range];
      out.replies.unshift([first[0], second[1]]);
    }
  }
  out.sent += bytes;
  return null;
}

type Range = [start: number, end: number];
