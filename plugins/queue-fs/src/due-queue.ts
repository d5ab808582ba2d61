/** Longest delay setTimeout takes; later times are reached in several hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Slot {
  readonly at: number;
  readonly id: string;
}

/**
 * When each queued message is next due, with one timer for the earliest. Entries are never
 * updated in place: a new time is pushed and the consumer ignores slots that no longer match
 * the message's current due time (lazy deletion), which keeps every operation O(log n).
 */
export class DueQueue {
  readonly #heap: Slot[] = [];
  readonly #onDue: (id: string, at: number) => void;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running = false;

  constructor(onDue: (id: string, at: number) => void) {
    this.#onDue = onDue;
  }

  get size(): number {
    return this.#heap.length;
  }

  start(): void {
    this.#running = true;
    this.#arm();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  push(id: string, at: number): void {
    const heap = this.#heap;
    heap.push({ at, id });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
    if (this.#running && at < this.#timerAt) this.#arm();
  }

  /** Hands every slot that is due to the consumer, then sets the timer for the next one. */
  fire(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (!this.#running) return;
    const now = Date.now();
    while (this.#heap.length && this.#heap[0]!.at <= now) {
      const slot = this.#pop();
      this.#onDue(slot.id, slot.at);
    }
    this.#arm();
  }

  #arm(): void {
    const next = this.#heap[0];
    if (!this.#running || !next) return;
    if (this.#timer && this.#timerAt <= next.at) return;
    clearTimeout(this.#timer);
    this.#timerAt = next.at;
    this.#timer = setTimeout(() => this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, next.at - Date.now())));
  }

  #pop(): Slot {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
        if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
