// Splitting large blobs into rows below the platform's row limits, and joining them back.

/** Splits `bytes` into views of at most `size` bytes (at least one, possibly empty, chunk). */
export function splitChunks(bytes: Uint8Array, size: number): Uint8Array[] {
  if (bytes.length <= size) return [bytes];
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, Math.min(offset + size, bytes.length)));
  }
  return chunks;
}

/** Concatenates chunks into one buffer. */
export function joinChunks(chunks: ArrayLike<number>[] | Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return new Uint8Array(chunks[0] as Uint8Array);
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c as Uint8Array, offset);
    offset += c.length;
  }
  return out;
}
