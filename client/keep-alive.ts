// Keep-alive for one socket: after a quiet interval send the text frame "ping" (answered by
// the platform's auto-response, so it never wakes a hibernated Durable Object); if even that
// goes unanswered, report the connection dead. One re-armed timeout, never an interval.
import type { Clock } from "./types";

/** Send a keep-alive `ping` after this long without any message from the server. */
export const PING_INTERVAL_MS = 15_000;
/** Give up on a connection this long after an unanswered ping. */
export const PONG_TIMEOUT_MS = 10_000;

export class KeepAlive {
  private timer: unknown = null;
  private lastMessageAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly ping: () => void,
    private readonly dead: () => void,
    private readonly intervalMs = PING_INTERVAL_MS,
    private readonly timeoutMs = PONG_TIMEOUT_MS,
  ) {
    this.lastMessageAt = clock.now();
    this.arm(intervalMs);
  }

  /** Any message from the server proves the connection alive. Cheap: no timer is touched. */
  noteMessage(): void {
    this.lastMessageAt = this.clock.now();
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delay: number): void {
    this.timer = this.clock.setTimeout(() => this.check(), delay);
  }

  private check(): void {
    const idle = this.clock.now() - this.lastMessageAt;
    if (idle >= this.intervalMs + this.timeoutMs) {
      this.timer = null;
      return this.dead();
    }
    if (idle >= this.intervalMs) {
      this.ping();
      return this.arm(this.intervalMs + this.timeoutMs - idle);
    }
    this.arm(this.intervalMs - idle);
  }
}
