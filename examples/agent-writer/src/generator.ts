// A stand-in for a language model: deterministic text of exactly `bytes` ASCII bytes, yielded in
// `chunks` pieces with a pause between them, as a model's token stream would arrive.

const PHRASES = ["The agent writes", "while people type", "and every edit merges", "as Yjs"];

/** The whole text a stream of `bytes` produces (what a test expects to find once). */
export function generatedText(bytes: number): string {
  let text = "";
  for (let i = 0; text.length < bytes; i++) text += `${PHRASES[i % PHRASES.length]} (${i}). `;
  return text.slice(0, bytes);
}

export interface StreamOptions {
  bytes: number;
  chunks: number;
  /** Pause before each chunk, in milliseconds. */
  delayMs: number;
  /** Throw at this chunk (a generator that fails mid-way). */
  failAt?: number;
  /** Hang before this chunk (a model that stops answering), for STALL_MS. */
  stallAt?: number;
}

/**
 * How long a stalled generator waits before it fails. A pending timer, not a promise that never
 * settles: the runtime cancels a request with nothing pending as hung.
 */
export const STALL_MS = 10 * 60_000;

/** Yields the text in `chunks` nearly equal pieces. */
export async function* generate(options: StreamOptions): AsyncGenerator<string> {
  const text = generatedText(options.bytes);
  for (let i = 0; i < options.chunks; i++) {
    if (options.delayMs > 0) await new Promise((r) => setTimeout(r, options.delayMs));
    if (i === options.failAt) throw new Error(`the generator failed at chunk ${i}`);
    if (i === options.stallAt) {
      await new Promise((r) => setTimeout(r, STALL_MS));
      throw new Error(`the generator stalled at chunk ${i}`);
    }
    const from = Math.floor((text.length * i) / options.chunks);
    yield text.slice(from, Math.floor((text.length * (i + 1)) / options.chunks));
  }
}
