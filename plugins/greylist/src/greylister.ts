import type { SharedStateStore } from '@posthorn/contracts';

/** Times in milliseconds, and the auto-allow threshold. */
export interface GreylistTimes {
  /** A retry sooner than this after the first attempt is deferred again. */
  readonly delayMs: number;
  /** A first attempt not retried within this time is forgotten. */
  readonly retryWindowMs: number;
  /** How long a triplet that passed (and an auto-allowed network) is remembered. */
  readonly passTtlMs: number;
  /** Passed triplets from one network after which the network skips greylisting; 0: never. */
  readonly autoAllowAfter: number;
}

export interface Triplet {
  /** Client network from clientNetwork(): `192.0.2.0/24`, `2001:db8::/64`. */
  readonly network: string;
  /** Envelope sender, normalised; "" is the null sender. */
  readonly sender: string;
  readonly recipient: string;
}

/**
 * What the greylister found:
 * - `new`: first attempt, deferred and remembered;
 * - `early`: retried before the delay ended, deferred again (the first-seen time stays);
 * - `retried`: retried after the delay, passes from now on;
 * - `known`: a triplet that passed before.
 */
export type GreylistOutcome =
  | { readonly verdict: 'defer'; readonly why: 'new' | 'early'; readonly waitMs: number }
  | { readonly verdict: 'pass'; readonly why: 'retried'; readonly waitedMs: number; readonly autoAllowed: boolean }
  | { readonly verdict: 'pass'; readonly why: 'known' };

type TripletRecord = { readonly state: 'pending'; readonly firstSeen: number } | { readonly state: 'passed'; readonly firstSeen: number; readonly passedAt: number };

/** Key prefix of everything this plugin keeps in SharedState. */
export const KEY_PREFIX = 'greylist:';

export function tripletKey(triplet: Triplet): string {
  // JSON: addresses may hold any separator character, and an array encoding is unambiguous.
  return `${KEY_PREFIX}t:${JSON.stringify([triplet.network, triplet.sender, triplet.recipient])}`;
}
const passesKey = (network: string) => `${KEY_PREFIX}passes:${network}`;
const autoAllowKey = (network: string) => `${KEY_PREFIX}auto:${network}`;

/**
 * The greylisting state machine (RFC 6647), over a SharedState store so that several
 * nodes behind one MX name agree about who retried. Timestamps are this node's clock: nodes
 * sharing a store need synchronised clocks.
 */
export class Greylister {
  readonly #store: SharedStateStore;
  readonly #times: GreylistTimes;
  readonly #now: () => number;

  constructor(store: SharedStateStore, times: GreylistTimes, now: () => number = Date.now) {
    if (!(times.retryWindowMs > times.delayMs)) throw new RangeError('the retry window must be longer than the delay');
    this.#store = store;
    this.#times = times;
    this.#now = now;
  }

  async check(triplet: Triplet): Promise<GreylistOutcome> {
    const now = this.#now();
    const key = tripletKey(triplet);
    const record = asRecord(await this.#store.get(key));
    if (record?.state === 'passed') {
      // Seen again: the triplet stays known for another full period, as long as mail flows.
      await this.#store.set(key, { state: 'passed', firstSeen: record.firstSeen, passedAt: now }, this.#times.passTtlMs);
      return { verdict: 'pass', why: 'known' };
    }
    // A pending record past the retry window may linger in a store with coarse expiry.
    if (record?.state === 'pending' && now - record.firstSeen < this.#times.retryWindowMs) {
      const waited = now - record.firstSeen;
      // Early retries do not move the first-seen time: a sender retrying every minute must
      // still get through once the delay has passed.
      if (waited < this.#times.delayMs) return { verdict: 'defer', why: 'early', waitMs: this.#times.delayMs - waited };
      await this.#store.set(key, { state: 'passed', firstSeen: record.firstSeen, passedAt: now }, this.#times.passTtlMs);
      return { verdict: 'pass', why: 'retried', waitedMs: waited, autoAllowed: await this.#countPass(triplet.network, now) };
    }
    await this.#store.set(key, { state: 'pending', firstSeen: now }, this.#times.retryWindowMs);
    return { verdict: 'defer', why: 'new', waitMs: this.#times.delayMs };
  }

  /** Whether a network earned its way past greylisting (autoAllowAfter passed triplets). */
  async isAutoAllowed(network: string): Promise<boolean> {
    if (this.#times.autoAllowAfter === 0) return false;
    return (await this.#store.get(autoAllowKey(network))) !== undefined;
  }

  /** Keeps an auto-allowed network allowed for another full period, while it sends mail. */
  async refreshAutoAllow(network: string): Promise<void> {
    await this.#store.set(autoAllowKey(network), { since: this.#now() }, this.#times.passTtlMs);
  }

  /** Counts a passed triplet; resolves to true when this pass made the network auto-allowed. */
  async #countPass(network: string, now: number): Promise<boolean> {
    if (this.#times.autoAllowAfter === 0) return false;
    const passes = await this.#store.increment(passesKey(network), 1, this.#times.passTtlMs);
    if (passes < this.#times.autoAllowAfter) return false;
    await this.#store.set(autoAllowKey(network), { since: now }, this.#times.passTtlMs);
    return passes === this.#times.autoAllowAfter;
  }
}

/** A stored record, or undefined for anything else (absent, or written by some other version). */
function asRecord(value: unknown): TripletRecord | undefined {
  const record = value as { state?: unknown; firstSeen?: unknown; passedAt?: unknown } | null | undefined;
  if (typeof record !== 'object' || record === null || typeof record.firstSeen !== 'number') return undefined;
  if (record.state === 'pending') return { state: 'pending', firstSeen: record.firstSeen };
  if (record.state === 'passed' && typeof record.passedAt === 'number') return { state: 'passed', firstSeen: record.firstSeen, passedAt: record.passedAt };
  return undefined;
}
