/**
 * Framing of one record of the segment log:
 *
 *   offset  size  field
 *   0       4     magic "PHQ" 0xA7 (the non-ASCII byte makes a match inside mail text unlikely)
 *   4       1     type: 1 message, 2 state, 3 done, 4 removed
 *   5       1     format version (1)
 *   6       2     zero
 *   8       4     payload length, unsigned little-endian
 *   12      4     CRC-32 (zlib) of bytes 4..11 followed by the payload
 *   16      ...   payload
 *
 * The checksum covers type, version and length as well as the payload, so a damaged length
 * cannot make a record look valid. Records are not aligned; the next one starts right after.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 16;
export const FORMAT_VERSION = 1;
export const MAGIC = Buffer.from([0x50, 0x48, 0x51, 0xa7]);
const MAGIC_WORD = MAGIC.readUInt32LE(0);

export const RECORD_TYPES = { message: 1, state: 2, done: 3, removed: 4 } as const;
export type RecordType = keyof typeof RECORD_TYPES;
const TYPE_NAMES: readonly (RecordType | undefined)[] = [undefined, 'message', 'state', 'done', 'removed'];

/**
 * Frames a payload given in parts. `head` must have HEADER_BYTES free at its start (the caller
 * allocates header and the first payload part as one buffer); `rest` follows it unchanged, so a
 * message body is written without a copy. Returns the buffers to write, in order.
 */
export function frame(type: RecordType, head: Buffer, ...rest: Buffer[]): Buffer[] {
  let length = head.length - HEADER_BYTES;
  for (const part of rest) length += part.length;
  head.writeUInt32LE(MAGIC_WORD, 0);
  head.writeUInt8(RECORD_TYPES[type], 4);
  head.writeUInt8(FORMAT_VERSION, 5);
  head.writeUInt16LE(0, 6);
  head.writeUInt32LE(length, 8);
  let sum = crc32(head.subarray(4, 12));
  sum = crc32(head.subarray(HEADER_BYTES), sum);
  for (const part of rest) sum = crc32(part, sum);
  head.writeUInt32LE(sum, 12);
  return [head, ...rest];
}

/** A header with `payload` bytes of room after it. */
export function allocRecord(payload: number): Buffer {
  return Buffer.allocUnsafe(HEADER_BYTES + payload);
}

export interface CheckedRecord {
  readonly ok: true;
  readonly type: RecordType;
  /** Header plus payload. */
  readonly length: number;
  readonly payload: Buffer;
}

export interface BadRecord {
  readonly ok: false;
  readonly reason: string;
}

/** Verifies the record that starts at `offset` of `buffer` (which may hold more after it). */
export function checkRecord(buffer: Buffer, offset: number): CheckedRecord | BadRecord {
  const available = buffer.length - offset;
  if (available < HEADER_BYTES) return { ok: false, reason: 'truncated header' };
  if (buffer.readUInt32LE(offset) !== MAGIC_WORD) return { ok: false, reason: 'bad magic' };
  const type = TYPE_NAMES[buffer.readUInt8(offset + 4)];
  if (!type || buffer.readUInt8(offset + 5) !== FORMAT_VERSION || buffer.readUInt16LE(offset + 6) !== 0) return { ok: false, reason: 'bad record header' };
  const length = buffer.readUInt32LE(offset + 8);
  if (length > available - HEADER_BYTES) return { ok: false, reason: 'truncated record' };
  const payload = buffer.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  if (crc32(payload, crc32(buffer.subarray(offset + 4, offset + 12))) !== buffer.readUInt32LE(offset + 12)) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, type, length: HEADER_BYTES + length, payload };
}

/** Why a record's payload cannot be used; `reason` goes to the log. */
export class CorruptRecordError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`corrupt queue record: ${reason}`);
    this.name = 'CorruptRecordError';
    this.reason = reason;
  }
}
