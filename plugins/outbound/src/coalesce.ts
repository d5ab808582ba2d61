/**
 * Gathers calls that arrive in the same event-loop turn under the same key into one batch.
 * The queue calls the deliver hook once per recipient, concurrently for the recipients of a
 * message that are due together; this turns those calls back into one SMTP transaction per
 * message and destination. Each caller gets its own result.
 */
export class Coalescer<Item, Result> {
  readonly #open = new Map<string, { items: Item[]; settle: { resolve(result: Result): void; reject(err: unknown): void }[] }>();
  readonly #run: (key: string, items: readonly Item[]) => Promise<readonly Result[]>;

  constructor(run: (key: string, items: readonly Item[]) => Promise<readonly Result[]>) {
    this.#run = run;
  }

  add(key: string, item: Item): Promise<Result> {
    let batch = this.#open.get(key);
    if (!batch) {
      const fresh: { items: Item[]; settle: { resolve(result: Result): void; reject(err: unknown): void }[] } = { items: [], settle: [] };
      batch = fresh;
      this.#open.set(key, fresh);
      // setImmediate runs after the promise jobs of this turn, so every deliver call the queue
      // started together (and the hook taps before ours) has joined by then.
      setImmediate(() => {
        this.#open.delete(key);
        this.#run(key, fresh.items).then(
          (results) => fresh.settle.forEach((s, i) => s.resolve(results[i]!)),
          (err: unknown) => fresh.settle.forEach((s) => s.reject(err)),
        );
      });
    }
    const open = batch;
    return new Promise<Result>((resolve, reject) => {
      open.items.push(item);
      open.settle.push({ resolve, reject });
    });
  }
}
