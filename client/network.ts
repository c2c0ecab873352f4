// Whether the platform says we are offline, and notice when that changes. Capability checks
// only: browsers have `online`/`offline` events and navigator.onLine; React Native and Node
// have neither (NetInfo users can call provider.disconnect()/connect() themselves).

interface EventSource {
  addEventListener(type: string, fn: () => void): void;
  removeEventListener(type: string, fn: () => void): void;
}

export class Network {
  private readonly source: EventSource | null;

  constructor(private readonly onChange: () => void) {
    const g = globalThis as Partial<EventSource>;
    this.source =
      typeof g.addEventListener === "function" && typeof g.removeEventListener === "function"
        ? (g as EventSource)
        : null;
    this.source?.addEventListener("online", this.onChange);
    this.source?.addEventListener("offline", this.onChange);
  }

  /** True only when the platform positively reports no network. */
  get offline(): boolean {
    return (globalThis as { navigator?: { onLine?: unknown } }).navigator?.onLine === false;
  }

  close(): void {
    this.source?.removeEventListener("online", this.onChange);
    this.source?.removeEventListener("offline", this.onChange);
  }
}
