import { open } from 'node:fs/promises';
import { CorruptRecordError, decodeMessage } from './format.ts';
import type { StoredMessage } from './log-index.ts';
import { checkRecord } from './record.ts';
import { segmentPath } from './segment-files.ts';

/**
 * Reads a message's record back from its segment and verifies it again (the disk may have
 * damaged it since it was written). Returns the message bytes, a view into the record buffer.
 * Rejects with ENOENT when the segment is gone (the message was copied forward meanwhile).
 */
export async function readStoredMessage(dir: string, message: StoredMessage): Promise<Buffer> {
  const { seq, offset, length } = message;
  const handle = await open(segmentPath(dir, seq), 'r');
  let record: Buffer;
  try {
    record = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(record, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new CorruptRecordError('stored message is cut short');
      filled += bytesRead;
    }
  } finally {
    await handle.close();
  }
  const checked = checkRecord(record, 0);
  if (!checked.ok || checked.type !== 'message') throw new CorruptRecordError(`stored message no longer verifies (${checked.ok ? checked.type : checked.reason})`);
  const decoded = decodeMessage(checked.payload);
  return checked.payload.subarray(decoded.bodyOffset);
}
