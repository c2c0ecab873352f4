// Promises that wait for a provider's state (synced, saved) to hold after one of its events, and
// are rejected together when the provider stops.
import { SyncError } from "./errors";

export class Waiters {
  /** Rejecters of the promises still waiting. */
  private readonly rejecters = new Set<(error: SyncError) => void>();
  private stopped = false;

  /**
   * Resolves once `done()` holds: at once, or after an `event` (heard through `subscribe`, which
   * returns its unsubscribe) finds it true; rejects if the provider stops first.
   */
  when(done: () => boolean, event: string, subscribe: (fn: () => void) => () => void) {
    if (done()) return Promise.resolve();
    if (this.stopped)
      return Promise.reject(new SyncError("destroyed", `provider stopped before ${event}`));
    return new Promise<void>((resolve, reject) => {
      const finish = () => {
        off();
        this.rejecters.delete(fail);
      };
      const fail = (error: SyncError) => (finish(), reject(error));
      const off = subscribe(() => done() && (finish(), resolve()));
      this.rejecters.add(fail);
    });
  }

  /** The provider stopped: every waiting promise is rejected with `reason`, later ones at once. */
  stop(reason: SyncError): void {
    this.stopped = true;
    for (const reject of [...this.rejecters]) reject(reason);
  }
}
