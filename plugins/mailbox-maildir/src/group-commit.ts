/**
 * Group commit: items submitted while a commit is queued or running are gathered into the next
 * batch, and each batch is committed by one job.
 *
 * The first item opens a batch and schedules its job (through `schedule`, the account's
 * serialiser, so a batch never overlaps another change of the account). Items that arrive before
 * that job starts (or while its `gather` waits) join the same batch; then the batch is closed
 * and the next item opens a new one, which waits its turn. Under load that is one batch
 * committing and one batch filling up behind it. The job settles each item on its own; whatever
 * it leaves unsettled is rejected (with the job's error, if it threw).
 */

/** One submitted item and the promise it is waiting on, settled once. */
export class BatchEntry<I, R> {
  readonly item: I;
  readonly #resolve: (result: R) => void;
  readonly #reject: (err: unknown) => void;
  #settled = false;
  #result: R | undefined;
  #error: unknown;

  constructor(item: I, resolve: (result: R) => void, reject: (err: unknown) => void) {
    this.item = item;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** What the entry was settled with, for an entry that shares another's outcome. */
  get result(): R | undefined {
    return this.#result;
  }

  get error(): unknown {
    return this.#error;
  }

  resolve(result: R): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#result = result;
    this.#resolve(result);
  }

  reject(err: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#error = err;
    this.#reject(err);
  }
}

export interface GroupCommitOptions<I, R> {
  /** Runs a batch's job in its turn (the account's serialiser). */
  readonly schedule: (job: () => Promise<void>) => Promise<void>;
  /** Commits one batch and settles each of its entries. */
  readonly commit: (batch: readonly BatchEntry<I, R>[]) => Promise<void>;
  /** A batch is closed at this many items and a new one opened behind it. */
  readonly maxBatch: number;
  /**
   * Called when a batch's turn has come, before it is closed; items submitted until it resolves
   * still join. For waiting on items known to be on their way, which would otherwise start a
   * batch of their own right behind this one. Must resolve in bounded time.
   */
  readonly gather?: () => Promise<void>;
}

/** The batching queue (see the top of this file); the mailbox store has one per account. */
export class GroupCommit<I, R> {
  readonly #options: GroupCommitOptions<I, R>;
  #open: BatchEntry<I, R>[] | undefined;
  /** Batches committed and items in them: lets tests and the benchmark see the batching work. */
  readonly stats = { batches: 0, items: 0, largest: 0 };

  constructor(options: GroupCommitOptions<I, R>) {
    this.#options = options;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry = new BatchEntry<I, R>(item, resolve, reject);
      if (this.#open && this.#open.length < this.#options.maxBatch) {
        this.#open.push(entry);
        return;
      }
      const batch = [entry];
      this.#open = batch;
      this.#options
        .schedule(async () => {
          await this.#options.gather?.();
          if (this.#open === batch) this.#open = undefined;
          this.stats.batches++;
          this.stats.items += batch.length;
          this.stats.largest = Math.max(this.stats.largest, batch.length);
          await this.#options.commit(batch);
        })
        .then(
          () => {
            for (const pending of batch) pending.reject(new Error('the batch job finished without settling this item'));
          },
          (err: unknown) => {
            for (const pending of batch) pending.reject(err);
          },
        );
    });
  }
}
