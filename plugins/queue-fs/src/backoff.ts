import type { RetryPolicy } from './options.ts';

/**
 * Wait before the next attempt after `attempts` attempts: exponential from `initial`, capped at
 * `max`, spread by a little jitter so messages deferred together do not retry in lockstep.
 */
export function retryDelay(attempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempts - 1));
  return Math.max(0, Math.round(base * (1 + policy.jitter * (random() * 2 - 1))));
}

/**
 * What follows a temporary failure: the time of the next attempt, or expiry once the message
 * is older than `maxAge`. The last wait is cut short at the deadline, so the final attempt
 * happens when the message reaches its maximum age rather than up to `max` after it.
 */
export function afterTemporaryFailure(attempts: number, receivedAt: number, now: number, policy: RetryPolicy): { next: number } | { expired: true } {
  const deadline = receivedAt + policy.maxAgeMs;
  if (now >= deadline) return { expired: true };
  return { next: Math.min(now + retryDelay(attempts, policy), deadline) };
}
