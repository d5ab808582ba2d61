import type { Logger } from '@posthorn/core';
import { Semaphore } from './semaphore.ts';

/** Connections in use at once per destination (a domain's mail exchangers, or a route). */
export class DestinationLimiter {
  readonly #semaphores = new Map<string, Semaphore>();

  /** Waits for a slot for `destination`; resolves to the function that gives it back. */
  async acquire(destination: string, limit: number, log: Logger): Promise<() => void> {
    let semaphore = this.#semaphores.get(destination);
    if (!semaphore) {
      semaphore = new Semaphore(limit);
      this.#semaphores.set(destination, semaphore);
    }
    if (!semaphore.tryAcquire()) {
      log.debug({ destination, limit }, 'waiting for a connection slot for the destination');
      await semaphore.acquire();
    }
    let released = false;
    const held = semaphore;
    return () => {
      if (released) return;
      released = true;
      held.release();
      // Unused destinations leave no trace, however many domains mail goes to.
      if (held.idle && this.#semaphores.get(destination) === held) this.#semaphores.delete(destination);
    };
  }
}
