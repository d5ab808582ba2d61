import type { SharedStateStore } from '@posthorn/contracts';
import type { Limit } from './options.ts';

/** Key prefix of everything this plugin keeps in SharedState. */
export const KEY_PREFIX = 'rate-limit:';

/** What counting one more event came to. */
export interface Count {
  readonly count: number;
  readonly over: boolean;
}

/**
 * Counts one event against a limit: fixed windows in SharedState (see its `increment`), so
 * every node sharing the store counts the same events. The counter's key carries the window
 * length, so changing a window in the config starts fresh counters instead of reusing old ones.
 */
export async function countEvent(store: SharedStateStore, kind: string, subject: string, limit: Limit): Promise<Count> {
  const windowMs = Math.max(1, Math.round(limit.window * 1000));
  const count = await store.increment(`${KEY_PREFIX}${kind}:${windowMs}:${subject}`, 1, windowMs);
  return { count, over: count > limit.limit };
}
