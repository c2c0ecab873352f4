// Frame batching, and the one door to the document host: every event reaches the host through
// `run`, which first handles every frame received before it, so order is kept by construction.
import type { RoomLimits } from "./config";
import type { HostSocket } from "./platform";

/** One frame as the runtime delivered it. */
export interface Frame {
  ws: HostSocket;
  data: ArrayBuffer | string;
}

/** What the inbox asks of the host it guards. */
export interface FrameHost {
  /** True for a socket whose frames are dropped unread (the room closed it). */
  refuses(ws: HostSocket): boolean;
  /** Null when frames can be handled now, else a promise that settles once they can. */
  whenReady(): Promise<unknown> | null;
  /** Handles frames in arrival order, synchronously (one batch, one commit). */
  handleFrames(frames: Frame[]): void;
  /** The document could not be made ready: refuses the sockets these frames came on. */
  refuseFrames(frames: Frame[], err: unknown): void;
}

/**
 * Frames are queued and handled together: each WebSocket event costs the runtime far more than
 * applying one keystroke, and a batch is one Yjs transaction, one log row, one commit and one
 * broadcast instead of one each per frame. A frame after a quiet spell is handled at once; while
 * frames keep coming the queue is drained on a zero-delay timer (after the runtime has delivered
 * whatever frames were already waiting), or at once when it is full or its oldest frame has
 * waited too long (timers lag while frames keep arriving), and before any other event (`run`).
 * Nothing is sent before the batch is written, and output gates hold it until it is committed.
 */
export class Inbox<H extends FrameHost> {
  private frames: Frame[] = [];
  private bytes = 0;
  /** When the oldest waiting frame arrived. */
  private since = 0;
  /** When frames were last handled. */
  private drainedAt = 0;
  /**
   * Pending timers keep a Durable Object from hibernating; this one has no delay, so it fires
   * as soon as the frames already delivered are queued and never holds the object awake idle.
   */
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Batches handled since this instance started (memory only; see DocumentStats). */
  readonly batches = { count: 0, frames: 0, largest: 0 };

  constructor(
    private readonly host: H,
    private readonly limits: RoomLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `op` on the host after every frame received before it has been handled. */
  async run<T>(op: (host: H) => T | Promise<T>): Promise<T> {
    await this.drain();
    return op(this.host);
  }

  /** Queues a frame; handles the queue at once when it should not wait (see the class doc). */
  push(ws: HostSocket, data: ArrayBuffer | string): Promise<void> | undefined {
    // A refused socket may have thousands of frames in flight: each costs one lookup, no more.
    if (this.host.refuses(ws)) return;
    const now = this.now();
    const { batchMaxWaitMs, batchMaxMessages, batchMaxBytes } = this.limits;
    // A frame after a quiet spell is handled at once: waiting would only add latency.
    const quiet = this.frames.length === 0 && now - this.drainedAt >= batchMaxWaitMs;
    if (this.frames.length === 0) this.since = now;
    this.frames.push({ ws, data });
    this.bytes += typeof data === "string" ? data.length : data.byteLength;
    if (
      quiet ||
      this.frames.length >= batchMaxMessages ||
      this.bytes >= batchMaxBytes ||
      now - this.since >= batchMaxWaitMs
    ) {
      return this.drain();
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, 0);
  }

  /** Handles every queued frame in order; frames that arrive while the host loads join them. */
  private async drain(): Promise<void> {
    if (this.frames.length === 0) return;
    const ready = this.host.whenReady();
    if (ready) {
      try {
        await ready;
      } catch (err) {
        return this.host.refuseFrames(this.take(), err);
      }
    }
    const frames = this.take();
    if (frames.length === 0) return; // a drain that ran meanwhile took them
    this.drainedAt = this.now();
    this.batches.count++;
    this.batches.frames += frames.length;
    this.batches.largest = Math.max(this.batches.largest, frames.length);
    this.host.handleFrames(frames);
  }

  private take(): Frame[] {
    const frames = this.frames;
    this.frames = [];
    this.bytes = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return frames;
  }
}
