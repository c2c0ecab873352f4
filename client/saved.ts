// Bookkeeping for the "saved" acknowledgement: which local changes were sent, which counter
// covers them, and when the server has confirmed they are durable. Pure, no I/O.

/**
 * Counts local changes and matches the server's echoed counters to them. At most one request
 * is in flight: the echo covers everything sent before it, so one request per round trip is
 * enough and costs the Durable Object far fewer messages than one per update.
 */
export class SavedTracker {
  /** Local changes made so far (monotonic). */
  private local = 0;
  /** Local changes included in something sent on the current connection. */
  private sent = 0;
  /** Local changes the server has confirmed as durably stored. */
  private saved = 0;
  private counter = 0;
  /** The in-flight request: its counter and the `sent` value it covers. */
  private inFlight: { counter: number; covers: number } | null = null;

  /** Whether some local change has not been confirmed as durably stored. */
  get unsaved(): boolean {
    return this.saved < this.local;
  }

  /** Records a local change; returns true when this turned the state from saved to unsaved. */
  noteLocal(): boolean {
    const was = this.unsaved;
    this.local++;
    return !was;
  }

  /** Marks a change restored from the offline store as unconfirmed (from a previous session). */
  restoreUnsaved(): void {
    if (!this.unsaved) this.local++;
  }

  /** Everything local so far has been sent on the current connection. */
  noteSent(): void {
    this.sent = this.local;
  }

  /** The counter to send now, or null when nothing new needs confirming or one is in flight. */
  nextRequest(): number | null {
    if (this.inFlight || this.sent <= this.saved) return null;
    this.inFlight = { counter: ++this.counter, covers: this.sent };
    return this.counter;
  }

  /** Handles an echoed counter; returns true when this turned the state from unsaved to saved. */
  ack(counter: number): boolean {
    if (!this.inFlight || this.inFlight.counter !== counter) return false;
    const was = this.unsaved;
    this.saved = Math.max(this.saved, this.inFlight.covers);
    this.inFlight = null;
    return was && !this.unsaved;
  }

  /** The connection closed: nothing sent on it counts as sent any more, and no echo will come. */
  reset(): void {
    this.sent = this.saved;
    this.inFlight = null;
  }
}
