/**
 * Reads the whole log back into a LogIndex: segments in order, records in order, each applied
 * on top of what came before (a `state` replaces a message's state, a `done` or `removed` ends
 * it, a later `message` record of the same id replaces the earlier one).
 *
 * With `repair` (a server starting, lock held) the log is also made trustworthy before anyone
 * acts on it: damaged ranges are copied into `corrupt/` with a warning and skipped, a torn tail
 * is cut off, and every segment is fdatasynced, because after a SIGKILL the page cache may hold
 * records that were written but never synced, and the server is about to act on them (deliver,
 * delete older segments). Without `repair` (a CLI command reading the queue, maybe while a
 * server writes to it) nothing is changed and damage is skipped silently.
 */
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CorruptRecordError } from './format.ts';
import { LOCK_TEMP_PREFIX } from './lock.ts';
import { LogIndex } from './log-index.ts';
import { CORRUPT_DIR, FILE_MODE, fsyncDirectory, listDirectory, LOCK_FILE, segmentName, segmentPath, segmentsIn, segmentSeq } from './segment-files.ts';
import { type DamagedRange, readSegment, scanSegment } from './segment-reader.ts';

export interface RecoveredLog {
  readonly index: LogIndex;
  /** Segment files found, with the size of their valid part. */
  readonly segments: Map<number, number>;
  /** One past the highest segment number: where new segments start. */
  readonly nextSeq: number;
}

export async function readLog(dir: string, log: Logger, options: { repair: boolean }): Promise<RecoveredLog> {
  const names = await listDirectory(dir);
  if (options.repair) warnAboutStrangers(names, log);
  const index = new LogIndex();
  const segments = new Map<number, number>();
  let last = 0;
  // The directory is listed again after each pass: without the lock (a CLI command reading
  // next to a running server) a segment may appear meanwhile, holding for instance the copy of
  // a message whose old segment was deleted before this scan reached it.
  for (let seqs = segmentsIn(names); seqs.length; seqs = segmentsIn(await listDirectory(dir)).filter((seq) => seq > last)) {
    for (const seq of seqs) {
      last = seq;
      await readOne(dir, seq, index, segments, log, options.repair);
    }
  }
  return { index, segments, nextSeq: last + 1 };
}

/** Reads one segment into the index; with `repair`, sets damage aside and syncs the file. */
async function readOne(dir: string, seq: number, index: LogIndex, segments: Map<number, number>, log: Logger, repair: boolean): Promise<void> {
  const bytes = await readSegment(segmentPath(dir, seq));
  if (!bytes) return;
  let validEnd = bytes.length;
  for (const item of scanSegment(bytes)) {
    if (item.kind === 'damage') {
      if (item.tail) validEnd = item.offset;
      if (repair) await setAside(dir, seq, bytes, item, log);
      continue;
    }
    try {
      index.apply(item, seq);
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      if (!repair) continue;
      if (item.type === 'message') {
        await setAside(dir, seq, bytes, { kind: 'damage', offset: item.offset, end: item.offset + item.length, reason: err.reason, tail: false, zeros: false }, log);
      } else {
        log.warn({ file: segmentName(seq), offset: item.offset, type: item.type, reason: err.reason }, 'queue record ignored: it verifies but cannot be used');
      }
    }
  }
  if (repair) await makeDurable(dir, seq, validEnd < bytes.length ? validEnd : undefined, log);
  segments.set(seq, validEnd);
}

/**
 * Copies a damaged range into `corrupt/<segment>.<offset>` for an operator to look at. The name
 * is fixed per range, so a range seen again at the next start is not copied twice. Zero bytes
 * (allocated, never written) are only logged. Failing to copy is logged, never fatal.
 */
async function setAside(dir: string, seq: number, bytes: Buffer, range: DamagedRange, log: Logger): Promise<void> {
  const file = segmentName(seq);
  const fields = { file, offset: range.offset, length: range.end - range.offset, reason: range.reason, tail: range.tail };
  if (range.zeros) {
    log.warn(fields, 'queue file set aside as corrupt: zero bytes, nothing kept');
    return;
  }
  const movedTo = join(dir, CORRUPT_DIR, `${file}.${range.offset}`);
  try {
    await writeFile(movedTo, bytes.subarray(range.offset, range.end), { flag: 'wx', mode: FILE_MODE, flush: true });
    await fsyncDirectory(join(dir, CORRUPT_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      log.error({ ...fields, err }, 'cannot copy a damaged part of the queue log into corrupt/; skipping it anyway');
      return;
    }
  }
  log.warn({ ...fields, movedTo }, 'queue file set aside as corrupt');
}

/** Cuts a torn tail off and syncs the segment, so what recovery read is what the disk holds. */
async function makeDurable(dir: string, seq: number, truncateTo: number | undefined, log: Logger): Promise<void> {
  try {
    const handle = await open(segmentPath(dir, seq), 'r+');
    try {
      if (truncateTo !== undefined) await handle.truncate(truncateTo);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    log.error({ err, file: segmentName(seq) }, 'cannot sync a queue segment at start');
  }
}

function warnAboutStrangers(names: readonly string[], log: Logger): void {
  for (const name of names) {
    if (segmentSeq(name) !== undefined || name === LOCK_FILE || name === CORRUPT_DIR || name.startsWith(LOCK_TEMP_PREFIX)) continue;
    if (name.endsWith('.msg') || name.endsWith('.state')) {
      log.warn({ file: name }, 'queue file of the old one-file-per-message format left alone; it is not delivered');
    } else {
      log.warn({ file: name }, 'unknown file in the queue directory left alone');
    }
  }
}
