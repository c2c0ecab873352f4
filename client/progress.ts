// Progress of a sync step 2 that the server sends in parts (the progress extension, PROTOCOL.md):
// the server announces the update bytes to come, the parts arrive as sync updates and the step 2
// ends it. Ratios only grow within a run and reach 1 with the step 2, just before `synced`.
import type { ServerMessage } from "../protocol/server-messages";

export interface SyncProgress {
  /** Yjs update bytes received so far in this sync. */
  receivedBytes: number;
  /** Update bytes the server announced (on a resumed sync: received before plus the rest). */
  totalBytes: number;
  /** 0 to 1; never decreases within a sync, and is 1 once the step 2 arrived. */
  ratio: number;
}

export class ProgressTracker {
  /** The latest progress of the current or last sync in parts; null before any. */
  current: SyncProgress | null = null;
  private running = false;

  constructor(private readonly emit: (progress: SyncProgress) => void) {}

  /** Sees every server message before the provider acts on it. */
  note(message: ServerMessage): void {
    const last = this.current;
    switch (message.kind) {
      case "progress":
        // A sync cut off half-way resumes from what arrived: the server announces only the rest.
        if (this.running && last)
          return this.report(last.receivedBytes, last.receivedBytes + message.updateBytes);
        this.running = true;
        this.current = null;
        return this.report(0, message.updateBytes);
      case "sync-update":
        if (this.running && last)
          this.report(last.receivedBytes + message.update.length, last.totalBytes);
        return;
      case "sync-step2":
        if (!this.running || !last) return;
        this.running = false;
        return this.report(last.receivedBytes + message.update.length, last.totalBytes, 1);
    }
  }

  private report(receivedBytes: number, totalBytes: number, done?: 1): void {
    // Below 1 until the step 2 came, whatever else was counted (a resumed sync's estimate).
    const share = totalBytes > 0 ? Math.min(receivedBytes / totalBytes, 0.99) : 0;
    const ratio = done ?? Math.max(this.current?.ratio ?? 0, share);
    this.current = { receivedBytes, totalBytes, ratio };
    this.emit(this.current);
  }
}
