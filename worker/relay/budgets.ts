// What one relayed client connection (a /mux or /hocuspocus socket) may make the Worker hold,
// counted per connection whatever the number of its channels: bytes queued toward documents not
// open yet, and replies (sync step 2) relayed toward the client, which queue there if it never reads.

/** Bytes held for channels that are not open yet, for all channels of one connection. */
export class QueueBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}

  /** Counts `bytes` more; false (nothing counted) when the connection's cap would be passed. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get bytes(): number {
    return this.used;
  }
}

/**
 * Replies relayed toward one client connection: a token bucket of `capacity` bytes refilled over
 * `refillMs`, the same rule and numbers as a direct socket's reply budget in the document
 * (REPLY_BUDGET_BYTES, REPLY_BUDGET_REFILL_MS), so many channels cannot multiply it.
 */
export class ReplyBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly refillMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  /** Charges a reply of `bytes`; false (nothing charged) when it does not fit. */
  charge(bytes: number): boolean {
    const now = this.now();
    const refill = ((now - this.at) * this.capacity) / this.refillMs;
    const available = Math.min(this.capacity, this.tokens + refill);
    this.at = now;
    if (bytes > available) {
      this.tokens = available;
      return false;
    }
    this.tokens = available - bytes;
    return true;
  }
}
