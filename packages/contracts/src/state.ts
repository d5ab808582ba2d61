import type { JsonValue } from './envelope.ts';
import { serviceToken } from './service.ts';

/**
 * Small expiring records that several plugins keep and several server nodes may share:
 * greylisting triplets, rate-limit counters, short-lived verdict caches. The core provides an
 * in-process memory store when no plugin provides this service; a plugin backed by Redis or
 * PostgreSQL replaces it, with no change to the plugins that use it.
 *
 * Keys are strings that start with the using plugin's name and a colon (`greylist:...`,
 * `rate-limit:...`), so plugins sharing one store never collide. Keep them short (under
 * 512 characters); an implementation may hash longer ones.
 *
 * A key holds either a record (`set`) or a counter (`increment`). `get` of a counter returns
 * its count; `set` on a counter key replaces the counter with a record, and `increment` on a
 * record key replaces the record with a new counter.
 *
 * Every record expires: there is no "forever". Expiry is at least as precise as one second;
 * the memory store keeps milliseconds. Clocks of nodes that share a store must agree (NTP).
 *
 * Consistency: each call is atomic on its own (two concurrent `increment`s never lose a count);
 * there are no transactions across calls. Callers must tolerate a record that disappears
 * early (a bounded store evicts), which for the users above only means a little leniency.
 */
export interface SharedStateStore {
  /** The record or counter at `key`, or undefined when there is none or it has expired. */
  get(key: string): Promise<JsonValue | undefined>;
  /** Stores a record that expires `ttlMs` milliseconds from now (a positive number). */
  set(key: string, value: JsonValue, ttlMs: number): Promise<void>;
  /** Removes a record or counter; resolves to whether there was one. */
  delete(key: string): Promise<boolean>;
  /**
   * Adds `by` (a positive integer) to the counter at `key` and resolves to the new count.
   *
   * Fixed window: the first increment of a key that has no live counter starts a window of
   * `windowMs` milliseconds, and the counter disappears when that window ends. Later
   * increments do not extend the window. (This is what Redis gives with INCRBY and
   * PEXPIRE ... NX, or PostgreSQL with one upsert.) A client that spreads its requests over
   * the end of one window and the start of the next can get up to twice the limit through
   * within one window's length; limits are set with that in mind.
   */
  increment(key: string, by: number, windowMs: number): Promise<number>;
}

export const SharedState = serviceToken<SharedStateStore>(
  'posthorn.shared-state',
  'Small expiring records and counters shared between plugins (greylisting, rate limits)',
);
