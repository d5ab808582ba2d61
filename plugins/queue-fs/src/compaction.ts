/**
 * Gives the log's space back. Segments are deleted oldest first, and only while no message
 * needs them: a segment goes once it is older than the oldest segment that still holds the
 * durable record of a message that is queued (or finished, with its `done` not yet durable).
 * Deleting only from the old end keeps every `done`, `removed` and `state` record for as long
 * as the message record it refers to can still be read back: those always sit in the same
 * segment as that record or a newer one.
 *
 * One long-deferred message would pin its segment and everything after it, so the oldest
 * segment's queued messages are copied forward (appended again, with their current state, and
 * synced) when that is cheap compared with what it frees: when their bytes are at most half of
 * the oldest segment plus the unpinned segments right after it. That bounds what copying costs
 * to half of what it reclaims, and a segment that is mostly queued mail is left alone.
 *
 * Each pass (every `intervalMs`, and after a rotation) also:
 * - closes the segment being appended to once it is older than `segmentAgeMs`, so a quiet
 *   server's segment can be deleted or compacted too;
 * - closes it when the queue is empty and nothing was appended for a whole interval, so an
 *   idle, empty queue leaves no segment files behind.
 */
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { LogIndex, StoredMessage } from './log-index.ts';
import { fsyncDirectory, segmentName, segmentPath } from './segment-files.ts';
import type { SegmentWriter } from './segment-writer.ts';

export interface CompactorOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly index: LogIndex;
  readonly writer: SegmentWriter;
  /** Segment files that exist, with their durable size; this module deletes entries it unlinks. */
  readonly segments: Map<number, number>;
  /** Appends a durable copy of a queued message (and its state) to the segment being written; false if it left the queue meanwhile. */
  readonly copyForward: (message: StoredMessage) => Promise<boolean>;
  readonly intervalMs: number;
  readonly segmentAgeMs: number;
}

export interface CompactionStats {
  segmentsDeleted: number;
  messagesCopied: number;
  /** Passes completed (tests wait for them). */
  passes: number;
}

export class Compactor {
  readonly #o: CompactorOptions;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Messages whose record could not be read back for a copy. */
  readonly #uncopyable = new Set<string>();
  readonly stats: CompactionStats = { segmentsDeleted: 0, messagesCopied: 0, passes: 0 };

  constructor(options: CompactorOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.request(), this.#o.intervalMs);
    this.#timer.unref();
    this.request();
  }

  /** Runs a pass soon; one runs at a time, and a request during a pass makes one more. */
  request(): void {
    if (this.#stopped) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = this.#run().finally(() => {
      this.#pass = undefined;
      if (this.#again) {
        this.#again = false;
        this.request();
      }
    });
  }

  /** The pass in flight, if any, ends; no new one starts. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#pass;
  }

  /** Runs one whole pass now, after the one in flight (tests). */
  async runOnce(): Promise<void> {
    while (this.#pass) await this.#pass;
    const run = this.#run();
    this.#pass = run.finally(() => (this.#pass = undefined));
    await run;
  }

  async #run(): Promise<void> {
    const startedAt = Date.now();
    try {
      const { writer, index } = this.#o;
      const active = writer.active;
      if (active && active.size > 0 && startedAt - active.createdAt >= this.#o.segmentAgeMs) await writer.seal();
      else if (active && index.pinnedMessages === 0 && writer.idle && startedAt - writer.lastAppendAt >= this.#o.intervalMs) await writer.seal();
      await this.#deleteUnneeded();
      if (!this.#stopped && (await this.#copyForwardOldest())) await this.#deleteUnneeded();
    } catch (err) {
      this.#o.log.error({ err }, 'queue compaction failed; it will run again');
    }
    this.stats.passes++;
  }

  /** Sealed segments, oldest first. */
  #sealed(): number[] {
    const active = this.#o.writer.active?.seq;
    return [...this.#o.segments.keys()].filter((seq) => seq !== active).sort((a, b) => a - b);
  }

  async #deleteUnneeded(): Promise<void> {
    for (const seq of this.#sealed()) {
      // Asked again each time: a copy or an end record may have become durable meanwhile.
      const oldestNeeded = this.#o.index.oldestPinned() ?? Infinity;
      const active = this.#o.writer.active?.seq ?? Infinity;
      if (seq >= oldestNeeded || seq >= active) return;
      try {
        await unlink(segmentPath(this.#o.dir, seq));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      // Durable before the next one goes: were a newer segment's deletion to survive a crash
      // and this one's not, this one's messages would come back without their `done` records.
      await fsyncDirectory(this.#o.dir);
      this.#o.segments.delete(seq);
      this.stats.segmentsDeleted++;
      this.#o.log.debug({ file: segmentName(seq) }, 'queue segment deleted');
    }
  }

  /** Copies the oldest sealed segment's messages forward when that frees at least twice as much; says whether it did. */
  async #copyForwardOldest(): Promise<boolean> {
    const { index, segments } = this.#o;
    const sealed = this.#sealed();
    const oldest = sealed[0];
    if (oldest === undefined) return false;
    const live = index.liveBytesIn(oldest);
    if (live === 0) return false;
    let reclaimable = 0;
    for (const seq of sealed) {
      if (seq !== oldest && index.liveBytesIn(seq) > 0) break;
      reclaimable += segments.get(seq) ?? 0;
    }
    if (live * 2 > reclaimable) return false;
    const messages = index.messagesIn(oldest);
    // Only finished messages whose `done` is not durable yet: the next pass deletes the segment.
    if (!messages.length || messages.some((m) => this.#uncopyable.has(m.envelope.id))) return false;
    let copied = 0;
    for (const message of messages) {
      if (this.#stopped) return false;
      try {
        if (await this.#o.copyForward(message)) copied++;
      } catch (err) {
        // Unreadable (damaged since it was written): it cannot be delivered either. Its segment
        // stays until an administrator removes it; no point in trying again every pass.
        this.#uncopyable.add(message.envelope.id);
        this.#o.log.warn({ err, tid: message.envelope.id, file: segmentName(oldest) }, 'cannot copy a queued message forward; its segment stays until the message leaves the queue');
        return false;
      }
    }
    this.stats.messagesCopied += copied;
    this.#o.log.info({ file: segmentName(oldest), messages: copied, bytes: live, frees: reclaimable }, 'queued messages copied forward out of an old queue segment');
    return true;
  }
}
