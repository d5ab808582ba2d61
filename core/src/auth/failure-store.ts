/**
 * Where failed-login counters live. The in-memory store below serves one process; a shared
 * store (Redis, PostgreSQL) implements the same three calls so that several nodes count the
 * same attempts. Semantics every implementation keeps:
 *
 * - `increment(key, ttlMs)` adds one and returns the new count. The first increment of a key
 *   (or the first after it expired) opens a window of `ttlMs`; later increments do not extend
 *   it, so a client cannot keep a counter alive forever by trickling (fixed window, as with
 *   Redis `INCR` + `PEXPIRE NX`).
 * - `get(key)` returns the count of a live window, 0 for an absent or expired key.
 * - `reset(key)` forgets the key.
 */
export interface FailureStore {
  get(key: string): Promise<number>;
  increment(key: string, ttlMs: number): Promise<number>;
  reset(key: string): Promise<void>;
}

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * Counters in a Map, for one process. Expired entries are dropped when met and swept when
 * the map grows past `maxEntries`; if it is still too big after that (a flood of distinct
 * login names), the oldest windows go first, so memory stays bounded whatever clients send.
 */
export class MemoryFailureStore implements FailureStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { now?: () => number; maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** Number of keys held, expired ones included until they are swept. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<number> {
    return this.#live(key)?.count ?? 0;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.#live(key);
    if (entry) {
      entry.count += 1;
      return entry.count;
    }
    // Inserted anew, so the Map's insertion order is the order in which windows opened.
    this.#entries.set(key, { count: 1, expiresAt: this.#now() + ttlMs });
    if (this.#entries.size > this.#maxEntries) this.#prune();
    return 1;
  }

  async reset(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #prune(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }
}
