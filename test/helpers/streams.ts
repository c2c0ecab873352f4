// Request bodies generated as they are read, which record how much the server pulled and
// whether it cancelled them: a test can tell "refused before reading" from "read, then refused".

/** Bytes per generated chunk. */
const CHUNK_BYTES = 64 * 1024;

export interface CountingBody {
  stream: ReadableStream<Uint8Array>;
  /** Bytes handed to the reader so far. */
  pulled(): number;
  cancelled(): boolean;
}

/** A body of `total` bytes: `prefix`, then `A`s; nothing is generated before it is pulled. */
export function countingBody(total: number, prefix = ""): CountingBody {
  let pulled = 0;
  let cancelled = false;
  const head = new TextEncoder().encode(prefix);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      const chunk =
        pulled === 0 && head.length > 0
          ? head
          : new Uint8Array(Math.min(CHUNK_BYTES, total - pulled)).fill(65);
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, pulled: () => pulled, cancelled: () => cancelled };
}
