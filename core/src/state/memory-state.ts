import type { JsonValue, SharedStateStore } from '@posthorn/contracts';

export interface MemoryStateOptions {
  /** Most records and counters kept; past it the least recently written one is dropped. */
  readonly maxEntries?: number;
  /** How often expired entries are swept out, in ms (they are also dropped when read). */
  readonly sweepIntervalMs?: number;
  /** Clock in ms since the epoch; tests pass a fake one. */
  readonly now?: () => number;
  /** Told when a live entry is dropped for room, so the operator can learn the bound is too low. */
  readonly onEvict?: (key: string) => void;
}

type Entry = { readonly kind: 'record'; readonly value: JsonValue; readonly expiresAt: number } | { readonly kind: 'counter'; count: number; readonly expiresAt: number };

export const MEMORY_STATE_DEFAULTS = Object.freeze({ maxEntries: 100_000, sweepIntervalMs: 60_000 });

/**
 * The SharedState the core provides when no plugin does: one process, nothing survives a
 * restart. Bounded (a flood of new greylisting triplets cannot eat the heap) and swept (expired
 * entries do not wait to be read to go away).
 *
 * Map order is insertion order and every write re-inserts, so the first key is always the least
 * recently written: eviction is O(1), and what it drops is usually close to expiry anyway.
 */
export class MemoryState implements SharedStateStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #onEvict: ((key: string) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryStateOptions = {}) {
    const maxEntries = options.maxEntries ?? MEMORY_STATE_DEFAULTS.maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
    this.#onEvict = options.onEvict;
    const sweepIntervalMs = options.sweepIntervalMs ?? MEMORY_STATE_DEFAULTS.sweepIntervalMs;
    if (sweepIntervalMs > 0) {
      this.#timer = setInterval(() => this.sweep(), sweepIntervalMs);
      // A sweep is housekeeping: it must never keep a process alive.
      this.#timer.unref();
    }
  }

  /** Live and not yet swept entries. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<JsonValue | undefined> {
    const entry = this.#live(key);
    if (!entry) return undefined;
    // A copy, as a remote store would hand out: a caller editing it changes nothing stored.
    return entry.kind === 'counter' ? entry.count : structuredClone(entry.value);
  }

  async set(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    checkKey(key);
    checkDuration('ttlMs', ttlMs);
    this.#write(key, { kind: 'record', value: structuredClone(value), expiresAt: this.#now() + ttlMs });
  }

  async delete(key: string): Promise<boolean> {
    const entry = this.#live(key);
    this.#entries.delete(key);
    return entry !== undefined;
  }

  async increment(key: string, by: number, windowMs: number): Promise<number> {
    checkKey(key);
    if (!Number.isSafeInteger(by) || by < 1) throw new RangeError(`increment: by must be a positive integer, got ${by}`);
    checkDuration('windowMs', windowMs);
    const entry = this.#live(key);
    if (entry?.kind === 'counter') {
      // Counting does not re-insert: the window stays where it started, and so does the
      // counter's place in the eviction order.
      entry.count += by;
      return entry.count;
    }
    this.#write(key, { kind: 'counter', count: by, expiresAt: this.#now() + windowMs });
    return by;
  }

  /** Drops every expired entry; returns how many. */
  sweep(): number {
    const now = this.#now();
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Stops the sweep timer; the entries stay readable. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #write(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      const dropped = this.#entries.get(oldest)!;
      this.#entries.delete(oldest);
      if (dropped.expiresAt > this.#now()) this.#onEvict?.(oldest);
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('shared state keys are non-empty strings');
}

function checkDuration(name: string, ms: number): void {
  // Every record expires: an infinite or missing lifetime would make the store a leak.
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) throw new RangeError(`${name} must be a positive, finite number of milliseconds, got ${ms}`);
}
