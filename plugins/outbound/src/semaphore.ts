/** A counting semaphore with first-come-first-served waiters. */
export class Semaphore {
  #available: number;
  readonly #limit: number;
  readonly #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
    this.#available = limit;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** No permit taken and nobody waiting. */
  get idle(): boolean {
    return this.#available === this.#limit && this.#waiters.length === 0;
  }

  tryAcquire(): boolean {
    if (this.#available === 0) return false;
    this.#available--;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((granted) => this.#waiters.push(granted));
  }

  /** Returns a permit; a waiter, if any, gets it directly. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#available = Math.min(this.#available + 1, this.#limit);
  }
}
