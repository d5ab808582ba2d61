/**
 * The only writer of the segment log, with group commit.
 *
 * Records are queued by `append`. While one batch is being written, new records wait; when it
 * completes, everything that arrived meanwhile becomes the next batch, written with one
 * positional `writev`. Segment files are opened with O_DSYNC, so that write returns only once
 * its data (and the file size that makes it readable) is on stable storage, exactly as a write
 * followed by `fdatasync` would, but in one system call and one thread-pool job per batch.
 * A record's promise resolves (and its `onDurable` runs) only once the write covering it has
 * returned, plus, for the first batch of a new segment file, an fsync of the directory that
 * started after the file was created (its directory entry). Records become durable in append
 * order: batches are written one after the other, never side by side.
 *
 * A failed write or sync leaves the segment's tail unknown, so the segment is closed and the
 * next batch starts a new one; recovery sets a torn tail aside.
 */
import { constants, writev } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { FILE_MODE, segmentName, segmentPath } from './segment-files.ts';

/** Where a record ended up: its segment and the byte range of the whole record in it. */
export interface Placement {
  readonly seq: number;
  readonly offset: number;
  readonly length: number;
}

export interface WriterHooks {
  /** Runs before a batch's durable write (tests hold it to watch the order). */
  beforeCommit?(batch: { readonly seq: number; readonly records: number }): Promise<void> | void;
}

export interface SegmentWriterOptions {
  readonly dir: string;
  readonly log: Logger;
  /** Sequence number of the first segment this writer creates (one past the last existing). */
  readonly firstSeq: number;
  /** A segment is closed once it holds this many bytes (the batch that crosses it still goes in). */
  readonly segmentSize: number;
  /** ... or once it is this old and not empty. */
  readonly segmentAgeMs: number;
  /** Told of every segment file created and of its size after each durable batch. */
  readonly onSegment?: (seq: number, durableSize: number) => void;
  readonly hooks?: WriterHooks;
}

export interface WriterStats {
  /** Records made durable. */
  records: number;
  /** Write-and-sync rounds that made them durable. */
  batches: number;
  bytes: number;
  /** Segment files created. */
  segments: number;
}

interface PendingRecord {
  readonly buffers: readonly Buffer[];
  readonly bytes: number;
  readonly onDurable: ((placement: Placement) => void) | undefined;
  readonly resolve: (placement: Placement) => void;
  readonly reject: (err: Error) => void;
}

interface SealRequest {
  readonly seal: true;
  readonly done: () => void;
}

interface OpenSegment {
  readonly seq: number;
  readonly handle: FileHandle;
  readonly createdAt: number;
  size: number;
  /** The directory fsync that makes this new file's entry durable, until a batch waited for it. */
  entrySynced: Promise<void> | undefined;
}

/**
 * Big enough that a batch is never the bottleneck, small enough to bound one write. A message
 * record is two buffers; 500 records stay within one `pwritev` (IOV_MAX is 1024 on Linux), so
 * with O_DSYNC one batch is one sync.
 */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const MAX_BATCH_RECORDS = 500;
/** Longest a lazily appended record waits for a batch to join. */
export const LAZY_LINGER_MS = 10;
/** Every write durable when it returns: see the header comment. */
const SEGMENT_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC;

export class SegmentWriter {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #segmentSize: number;
  readonly #segmentAgeMs: number;
  readonly #onSegment: ((seq: number, size: number) => void) | undefined;
  readonly #hooks: WriterHooks;
  #queue: (PendingRecord | SealRequest)[] = [];
  #running: Promise<void> | undefined;
  /** Timer that writes lazily appended records when no batch came to take them. */
  #linger: NodeJS.Timeout | undefined;
  #current: OpenSegment | undefined;
  #nextSeq: number;
  #dirHandle: Promise<FileHandle> | undefined;
  #closed = false;
  /** When the last record was appended (ms), for idle detection. */
  lastAppendAt = 0;
  readonly stats: WriterStats = { records: 0, batches: 0, bytes: 0, segments: 0 };

  constructor(options: SegmentWriterOptions) {
    this.#dir = options.dir;
    this.#log = options.log;
    this.#segmentSize = options.segmentSize;
    this.#segmentAgeMs = options.segmentAgeMs;
    this.#onSegment = options.onSegment;
    this.#hooks = options.hooks ?? {};
    this.#nextSeq = options.firstSeq;
  }

  /** The segment appends currently go to (undefined until the next append opens one). */
  get active(): { readonly seq: number; readonly size: number; readonly createdAt: number } | undefined {
    return this.#current;
  }

  /** Nothing queued and nothing being written. */
  get idle(): boolean {
    return !this.#running && this.#queue.length === 0;
  }

  /**
   * Queues a record (its framed buffers). Resolves with its placement once it is durable;
   * `onDurable` runs just before, synchronously and in log order, so bookkeeping that depends
   * on durability (which segment holds what) never sees records out of order.
   */
  append(buffers: readonly Buffer[], onDurable?: (placement: Placement) => void): Promise<Placement> {
    return this.#push(buffers, onDurable, false);
  }

  /**
   * Like `append`, for a record nobody waits for: it does not start a write of its own while
   * the writer is idle, but goes with the next batch, or after `LAZY_LINGER_MS` at the latest.
   * Under load a batch is always in flight, so this changes nothing; when the writer is idle
   * it saves a write that would carry just this record.
   */
  appendLazily(buffers: readonly Buffer[], onDurable?: (placement: Placement) => void): Promise<Placement> {
    return this.#push(buffers, onDurable, true);
  }

  #push(buffers: readonly Buffer[], onDurable: ((placement: Placement) => void) | undefined, lazy: boolean): Promise<Placement> {
    if (this.#closed) return Promise.reject(new Error('the queue log is closed'));
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.length;
    this.lastAppendAt = Date.now();
    return new Promise((resolve, reject) => {
      this.#queue.push({ buffers, bytes, onDurable, resolve, reject });
      if (!lazy) this.#start();
      else if (!this.#running) this.#linger ??= setTimeout(() => this.#start(), LAZY_LINGER_MS);
    });
  }

  #start(): void {
    if (this.#linger) {
      clearTimeout(this.#linger);
      this.#linger = undefined;
    }
    // #run always awaits before it can finish (the queue is not empty), so it cannot reset
    // #running before this assignment.
    this.#running ??= this.#run();
  }

  /**
   * Closes the segment appends go to, after the batch in flight; the next append opens a new
   * one. Resolves once no write to the closed segment can happen any more.
   */
  seal(): Promise<void> {
    return new Promise((done) => {
      this.#queue.push({ seal: true, done });
      this.#start();
    });
  }

  /** Writes what is queued, closes the segment, refuses further appends. */
  async close(): Promise<void> {
    if (!this.#closed) {
      // Refuse new records first, so the seal below is the last thing this writer does.
      this.#closed = true;
      await this.seal();
    }
    await this.#running;
    const dirHandle = this.#dirHandle;
    this.#dirHandle = undefined;
    if (dirHandle) await (await dirHandle.catch(() => undefined))?.close();
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length) {
        const head = this.#queue[0]!;
        if ('seal' in head) {
          this.#queue.shift();
          await this.#closeCurrent();
          head.done();
          continue;
        }
        await this.#writeBatch(this.#takeBatch());
      }
    } finally {
      // Whatever happened, the next append starts the loop again.
      this.#running = undefined;
    }
  }

  /** The records at the head of the queue, up to the next seal request or the batch limits. */
  #takeBatch(): PendingRecord[] {
    let count = 0;
    let bytes = 0;
    while (count < this.#queue.length && count < MAX_BATCH_RECORDS) {
      const item = this.#queue[count]!;
      if ('seal' in item || (count > 0 && bytes + item.bytes > MAX_BATCH_BYTES)) break;
      bytes += item.bytes;
      count++;
    }
    return this.#queue.splice(0, count) as PendingRecord[];
  }

  async #writeBatch(batch: PendingRecord[]): Promise<void> {
    let segment: OpenSegment | undefined;
    let placements: Placement[];
    try {
      segment = await this.#segmentForNextBatch();
      const buffers: Buffer[] = [];
      placements = [];
      let offset = segment.size;
      for (const record of batch) {
        for (const buffer of record.buffers) buffers.push(buffer);
        placements.push({ seq: segment.seq, offset, length: record.bytes });
        offset += record.bytes;
      }
      if (this.#hooks.beforeCommit) await this.#hooks.beforeCommit({ seq: segment.seq, records: batch.length });
      await writeAllAt(segment.handle, buffers, segment.size);
      if (segment.entrySynced) {
        await segment.entrySynced;
        segment.entrySynced = undefined;
      }
      segment.size = offset;
    } catch (err) {
      this.#log.error({ err, segment: segment ? segmentName(segment.seq) : undefined, records: batch.length }, 'cannot write to the queue log');
      // What reached the file is unknown: never append after it. The next batch opens a new segment.
      if (segment && segment === this.#current) await this.#closeCurrent();
      for (const record of batch) record.reject(err as Error);
      return;
    }
    this.stats.batches++;
    this.stats.records += batch.length;
    this.stats.bytes += segment.size - placements[0]!.offset;
    this.#onSegment?.(segment.seq, segment.size);
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!.onDurable?.(placements[i]!);
      } catch (err) {
        this.#log.error({ err }, 'queue log bookkeeping failed');
      }
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(placements[i]!);
  }

  async #segmentForNextBatch(): Promise<OpenSegment> {
    const current = this.#current;
    if (current && (current.size >= this.#segmentSize || (current.size > 0 && Date.now() - current.createdAt >= this.#segmentAgeMs))) {
      await this.#closeCurrent();
    }
    return this.#current ?? (await this.#openNext());
  }

  async #openNext(): Promise<OpenSegment> {
    const seq = this.#nextSeq++;
    // O_EXCL: a new file, never one that exists (that would be another writer's).
    const handle = await open(segmentPath(this.#dir, seq), SEGMENT_FLAGS, FILE_MODE);
    // The entry exists from here on; its directory fsync runs while the first batch is written.
    const entrySynced = this.#syncDirectory();
    entrySynced.catch(() => undefined);
    const segment: OpenSegment = { seq, handle, createdAt: Date.now(), size: 0, entrySynced };
    this.#current = segment;
    this.stats.segments++;
    this.#onSegment?.(seq, 0);
    return segment;
  }

  async #syncDirectory(): Promise<void> {
    // One handle for the life of the writer: the fsync is the cost, not the open.
    this.#dirHandle ??= open(this.#dir, 'r');
    let handle: FileHandle;
    try {
      handle = await this.#dirHandle;
    } catch (err) {
      this.#dirHandle = undefined;
      throw err;
    }
    await handle.sync();
  }

  async #closeCurrent(): Promise<void> {
    const segment = this.#current;
    if (!segment) return;
    this.#current = undefined;
    try {
      // A segment whose first batch failed may still owe its directory fsync to nobody; let it end.
      await segment.entrySynced?.catch(() => undefined);
      await segment.handle.close();
    } catch (err) {
      this.#log.warn({ err, segment: segmentName(segment.seq) }, 'closing a queue segment failed');
    }
  }
}

/** Writes every buffer at `position` onwards, finishing after short writes. */
async function writeAllAt(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let total = 0;
  for (const buffer of buffers) total += buffer.length;
  let written = await pwritev(handle.fd, buffers, position);
  // Short writes are rare on local files but legal; go on from where the kernel stopped.
  while (written < total) {
    let skip = written;
    const rest: Buffer[] = [];
    for (const buffer of buffers) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      rest.push(skip ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    const more = await pwritev(handle.fd, rest, position + written);
    if (more === 0) throw new Error('the queue log write made no progress');
    written += more;
  }
}

/**
 * `fs.writev` with a callback on the handle's descriptor: the same system call as
 * `FileHandle.writev`, with noticeably less CPU per call (measured: about 60 against 90 µs per
 * write, most of it in submitting the job to the thread pool), which counts once per batch.
 */
function pwritev(fd: number, buffers: Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) => writev(fd, buffers, position, (err, bytesWritten) => (err ? reject(err) : resolve(bytesWritten))));
}
