/**
 * Reads a segment back: every record that verifies, in order, and the byte ranges that do not.
 *
 * After a record that fails verification the scan looks for the next offset where a whole
 * record verifies (magic, header, length within the file, checksum) and goes on from there;
 * the bytes in between are one damaged range. A damaged range that runs to the end of the file
 * is a torn tail: the last write did not complete (a crash in the middle of a batch), or the
 * writer gave up on the segment after an I/O error.
 */
import { readFile } from 'node:fs/promises';
import { checkRecord, MAGIC, type RecordType } from './record.ts';

export interface ScannedRecord {
  readonly kind: 'record';
  readonly type: RecordType;
  readonly offset: number;
  /** Header plus payload. */
  readonly length: number;
  /** A view into the segment's buffer: copy what must outlive the scan. */
  readonly payload: Buffer;
}

export interface DamagedRange {
  readonly kind: 'damage';
  readonly offset: number;
  readonly end: number;
  readonly reason: string;
  /** Runs to the end of the file. */
  readonly tail: boolean;
  /** Only zero bytes (space the filesystem allocated but the write never filled). */
  readonly zeros: boolean;
}

export function* scanSegment(bytes: Buffer): Generator<ScannedRecord | DamagedRange> {
  let offset = 0;
  while (offset < bytes.length) {
    const checked = checkRecord(bytes, offset);
    if (checked.ok) {
      yield { kind: 'record', type: checked.type, offset, length: checked.length, payload: checked.payload };
      offset += checked.length;
      continue;
    }
    const next = resync(bytes, offset + 1);
    const end = next ?? bytes.length;
    yield { kind: 'damage', offset, end, reason: checked.reason, tail: next === undefined, zeros: isZero(bytes, offset, end) };
    offset = end;
  }
}

/** The first offset at or after `from` where a whole record verifies. */
function resync(bytes: Buffer, from: number): number | undefined {
  for (let at = bytes.indexOf(MAGIC, from); at !== -1; at = bytes.indexOf(MAGIC, at + 1)) {
    if (checkRecord(bytes, at).ok) return at;
  }
  return undefined;
}

function isZero(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** The whole segment file, or undefined when it is gone (deleted by a running server meanwhile). */
export async function readSegment(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
