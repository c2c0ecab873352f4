// A minimal typed event emitter for the provider (no dependency on DOM EventTarget, which
// React Native lacks in older versions).
import { systemClock } from "./types";

type Listener = (...args: unknown[]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  on<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as unknown as Listener);
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): void {
    this.listeners.get(event)?.delete(fn as unknown as Listener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      // A throwing listener must not break the provider's state machine.
      try {
        fn(...(args as unknown[]));
      } catch (err) {
        systemClock.setTimeout(() => {
          throw err;
        }, 0);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
