/**
 * The queue's storage: an append-only segment log (segment-writer.ts) read back at start
 * (recovery.ts) into an in-memory index (log-index.ts), with compaction (compaction.ts).
 *
 * What each operation waits for:
 * - `enqueue` resolves only once the message record is durable (fdatasync of the batch that
 *   holds it, and of the directory entry when that batch opened a new segment);
 * - `saveState`, `finish` and `remove` append their record at once, in call order, and return
 *   a promise of its durability; callers decide whether to wait (see the README);
 * - records become durable in the order they were appended.
 */
import type { Envelope } from '@posthorn/contracts';
import type { Logger } from 'pino';
import { Compactor } from './compaction.ts';
import { encodeEnd, encodeMessage, encodeState, envelopeProblem } from './format.ts';
import type { LogIndex, StoredMessage } from './log-index.ts';
import { readStoredMessage } from './message-reader.ts';
import { readLog } from './recovery.ts';
import { ensureDirectories } from './segment-files.ts';
import { SegmentWriter, type WriterHooks, type WriterStats } from './segment-writer.ts';
import type { MessageState } from './state.ts';

export interface QueueLogOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly segmentSize: number;
  readonly segmentAgeMs: number;
  readonly compactIntervalMs: number;
  readonly hooks?: WriterHooks;
}

export type QueueLogStats = WriterStats & { segmentsDeleted: number; messagesCopied: number };

/** A message the log holds, as the runner starts it. */
export interface LoggedMessage {
  readonly envelope: Envelope;
  readonly size: number;
  readonly state: MessageState | undefined;
}

export class QueueLog {
  readonly dir: string;
  readonly #o: QueueLogOptions;
  readonly #log: Logger;
  #index: LogIndex | undefined;
  #writer: SegmentWriter | undefined;
  #compactor: Compactor | undefined;
  /** Segment files and their durable sizes. */
  readonly #segments = new Map<number, number>();
  /** Enqueues whose record is not durable yet, by id (a second enqueue of the id shares it). */
  readonly #writing = new Map<string, Promise<unknown>>();
  readonly #opened: Promise<void>;
  #markOpened!: () => void;

  constructor(options: QueueLogOptions) {
    this.dir = options.dir;
    this.#o = options;
    this.#log = options.log;
    this.#opened = new Promise((resolve) => (this.#markOpened = resolve));
  }

  /**
   * Server start (lock held): repairs and reads the log, then starts writing and compacting.
   * Returns the queued messages, oldest first.
   */
  async open(): Promise<LoggedMessage[]> {
    await ensureDirectories(this.dir);
    const messages = await this.#load(true);
    this.#compactor = new Compactor({
      dir: this.dir,
      log: this.#log,
      index: this.#index!,
      writer: this.#writer!,
      segments: this.#segments,
      copyForward: (message) => this.#copyForward(message),
      intervalMs: this.#o.compactIntervalMs,
      segmentAgeMs: this.#o.segmentAgeMs,
    });
    this.#compactor.start();
    return messages;
  }

  /** A CLI command's edit (lock held): reads the log as it is and appends to a new segment. */
  async openForEdit(): Promise<LoggedMessage[]> {
    await ensureDirectories(this.dir);
    return this.#load(false);
  }

  async #load(repair: boolean): Promise<LoggedMessage[]> {
    const { index, segments, nextSeq } = await readLog(this.dir, this.#log, { repair });
    this.#index = index;
    for (const [seq, size] of segments) this.#segments.set(seq, size);
    this.#writer = new SegmentWriter({
      dir: this.dir,
      log: this.#log,
      firstSeq: nextSeq,
      segmentSize: this.#o.segmentSize,
      segmentAgeMs: this.#o.segmentAgeMs,
      hooks: this.#o.hooks,
      onSegment: (seq, size) => {
        const isNew = !this.#segments.has(seq);
        this.#segments.set(seq, size);
        // A new segment means the one before was just sealed: compaction may use it now.
        if (isNew) this.#compactor?.request();
      },
    });
    this.#markOpened();
    return [...index.live.values()]
      .map(({ envelope, size, state }) => ({ envelope, size, state }))
      .sort((a, b) => (a.envelope.receivedAt < b.envelope.receivedAt ? -1 : a.envelope.receivedAt > b.envelope.receivedAt ? 1 : 0));
  }

  get stats(): QueueLogStats {
    const writer = this.#writer?.stats ?? { records: 0, batches: 0, bytes: 0, segments: 0 };
    const { segmentsDeleted, messagesCopied } = this.#compactor?.stats ?? { segmentsDeleted: 0, messagesCopied: 0 };
    return { ...writer, segmentsDeleted, messagesCopied };
  }

  /** The compactor, for tests that want a pass now. */
  get compactor(): Compactor | undefined {
    return this.#compactor;
  }

  get(id: string): StoredMessage | undefined {
    return this.#index?.live.get(id);
  }

  messages(): StoredMessage[] {
    return [...(this.#index?.live.values() ?? [])];
  }

  /**
   * Stores a message durably. `onDurable` runs as soon as it is, before any other enqueue of
   * the same id can resolve. Resolves to `exists` when the id is already queued (a no-op,
   * once that message is durable: it may be in the batch being written).
   */
  async enqueue(envelope: Envelope, message: Buffer, onDurable?: () => void): Promise<'stored' | 'exists'> {
    const problem = envelopeProblem(envelope);
    if (problem) throw new TypeError(`cannot queue a message with a bad envelope: ${problem}`);
    await this.#opened;
    const id = envelope.id;
    if (this.#index!.live.has(id)) return 'exists';
    const earlier = this.#writing.get(id);
    if (earlier) {
      // Being written right now: its outcome is ours, unless it failed.
      const outcome = await earlier.then(
        () => 'exists' as const,
        () => undefined,
      );
      return outcome ?? this.enqueue(envelope, message, onDurable);
    }
    const index = this.#index!;
    const writing = this.#writer!.append(encodeMessage(envelope, message), (placement) => {
      index.add(envelope, message.length, placement, undefined);
      onDurable?.();
    });
    this.#writing.set(id, writing);
    try {
      await writing;
      return 'stored';
    } finally {
      this.#writing.delete(id);
    }
  }

  /** Records a queued message's delivery state. */
  saveState(id: string, state: MessageState): Promise<void> {
    const message = this.#index?.live.get(id);
    if (!message) return Promise.resolve();
    message.state = state;
    return this.#writer!.append(encodeState(id, state)).then(() => undefined);
  }

  /** Ends a message whose recipients are all final (and whose bounce, if any, went out). */
  finish(id: string, bouncedAt?: string): Promise<void> {
    return this.#end('done', id, bouncedAt).then(() => undefined);
  }

  /** Ends a message an administrator deleted; resolves to whether it was queued. */
  remove(id: string): Promise<boolean> {
    return this.#end('removed', id);
  }

  async #end(type: 'done' | 'removed', id: string, bouncedAt?: string): Promise<boolean> {
    const index = this.#index;
    const message = index?.live.get(id);
    if (!index || !message) return false;
    // Gone for everybody at once; the segment stays pinned until the end record is durable.
    index.live.delete(id);
    // A `done` nobody waits for joins the next batch (see SegmentWriter.appendLazily and the
    // README); an administrator's `removed` is answered only once it is durable.
    const append = type === 'done' ? this.#writer!.appendLazily : this.#writer!.append;
    await append.call(this.#writer!, encodeEnd(type, id, bouncedAt), () => {
      index.release(message);
      if (index.pinnedMessages === 0) this.#compactor?.request();
    });
    return true;
  }

  /** The stored bytes of a queued message. Rejects with ENOENT when it is not queued. */
  async read(id: string): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const message = this.#index?.live.get(id);
      if (!message) throw Object.assign(new Error(`no queued message ${id}`), { code: 'ENOENT' });
      const seq = message.seq;
      try {
        return await readStoredMessage(this.dir, message);
      } catch (err) {
        // Copied forward and its old segment deleted between the look-up and the read: look again.
        const moved = this.#index?.live.get(id) !== message || message.seq !== seq;
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3 || !moved) throw err;
      }
    }
  }

  async #copyForward(message: StoredMessage): Promise<boolean> {
    const index = this.#index!;
    const id = message.envelope.id;
    if (index.live.get(id) !== message) return false;
    const bytes = await readStoredMessage(this.dir, message);
    // Finished or removed while it was read: nothing to keep.
    if (index.live.get(id) !== message) return false;
    // The state as last written goes with it, so the copy supersedes every record before it.
    await this.#writer!.append(encodeMessage(message.envelope, bytes, message.state), (placement) => index.move(message, placement));
    return true;
  }

  /** Stops compacting, writes what is queued and closes the log. */
  async close(): Promise<void> {
    await this.#compactor?.stop();
    await Promise.allSettled([...this.#writing.values()]);
    await this.#writer?.close();
  }
}
