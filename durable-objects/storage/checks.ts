// Checking stored rows as they are read: a stored CRC-32 that does not match is damage (even if
// the bytes still decode); a row stored without one (written before checksums) is damage if it
// does not decode.
import type { Damage } from "./document-store";
import { joinChunks } from "./chunks";
import { crc32 } from "./crc32";

/** One stored part of a log entry, as read (ordered by seq, then part). */
export interface LogRow extends Record<string, SqlStorageValue> {
  seq: number;
  data: ArrayBuffer;
  crc: number | null;
}

/** Joins log parts into entries: intact ones are returned, damaged ones added to `damage`. */
export function checkLog(
  rows: Iterable<LogRow>,
  validate: (update: Uint8Array) => void,
  damage: Damage[],
): { seq: number; data: Uint8Array }[] {
  const log: { seq: number; data: Uint8Array }[] = [];
  type Pending = { seq: number; parts: Uint8Array[]; problem: string | null; unchecked: boolean };
  let pending: Pending | null = null;
  const settle = (row: Pending) => {
    const data = joinChunks(row.parts);
    const problem = row.problem ?? (row.unchecked ? decodeProblem(validate, data) : null);
    if (problem) damage.push({ source: `log:${row.seq}`, reason: problem, data });
    else log.push({ seq: row.seq, data });
  };
  for (const row of rows) {
    if (pending && pending.seq !== row.seq) settle(pending);
    if (!pending || pending.seq !== row.seq)
      pending = { seq: row.seq, parts: [], problem: null, unchecked: false };
    const part = new Uint8Array(row.data);
    pending.parts.push(part);
    if (row.crc === null)
      pending.unchecked = true; // written before rows carried checksums
    else pending.problem ??= crcProblem(row.crc, part);
  }
  if (pending) settle(pending);
  return log;
}

export function crcProblem(stored: number, bytes: Uint8Array): string | null {
  const actual = crc32(bytes);
  return actual === stored ? null : `checksum mismatch (stored ${stored}, bytes ${actual})`;
}

export function decodeProblem(
  validate: (update: Uint8Array) => void,
  bytes: Uint8Array,
): string | null {
  try {
    validate(bytes);
    return null;
  } catch (err) {
    return `does not decode: ${(err as Error).message}`;
  }
}
