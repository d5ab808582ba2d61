import { type FileHandle, open } from 'node:fs/promises';

/**
 * Group commit of directory fsyncs.
 *
 * A new file survives a crash only once its directory entry is on disk, which takes an fsync of
 * the directory. That fsync covers every entry created before it started, so concurrent writers
 * share one: a caller that asks while no fsync runs starts one; a caller that asks while one is
 * in flight cannot count on it (it may have started before the caller's entry existed) and waits
 * for the next one, which every such caller shares. So at most two fsyncs of the directory exist
 * at any time (one running, one waiting), however many files are being created.
 */
export class DirectorySync {
  readonly #path: string;
  #handle: Promise<FileHandle> | undefined;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** Directory fsyncs started; lets tests see that callers share them. */
  rounds = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** Resolves once an fsync of the directory that started after this call has completed. */
  request(): Promise<void> {
    if (!this.#running) return this.#start();
    if (!this.#queued) {
      const settled = this.#running.then(
        () => undefined,
        () => undefined,
      );
      this.#queued = settled.then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    }
    return this.#queued;
  }

  #start(): Promise<void> {
    this.rounds++;
    const round = this.#fsync().finally(() => {
      if (this.#running === round) this.#running = undefined;
    });
    this.#running = round;
    return round;
  }

  async #fsync(): Promise<void> {
    // One handle for the life of the queue: opening the directory on every round would add a
    // thread-pool round trip to every commit.
    this.#handle ??= open(this.#path, 'r');
    let handle: FileHandle;
    try {
      handle = await this.#handle;
    } catch (err) {
      this.#handle = undefined;
      throw err;
    }
    await handle.sync();
  }

  /** Waits for fsyncs in flight, then closes the directory handle. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#running, this.#queued]);
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
