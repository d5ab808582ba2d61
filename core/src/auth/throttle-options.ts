import { MemoryFailureStore } from './failure-store.ts';
import { LoginThrottle } from './login-throttle.ts';

/** The login throttle's settings as every password-taking plugin offers them in its options. */
export interface ThrottleOptions {
  readonly maxFailuresPerIp: number;
  readonly maxFailuresPerLogin: number;
  readonly windowSeconds: number;
  readonly lockoutSeconds: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** JSON Schema properties for ThrottleOptions, to spread into a plugin's options schema. */
export const throttleOptionProperties = {
  maxFailuresPerIp: { type: 'integer', minimum: 1, default: 20 },
  maxFailuresPerLogin: { type: 'integer', minimum: 1, default: 10 },
  windowSeconds: { type: 'integer', minimum: 1, default: 900 },
  lockoutSeconds: { type: 'integer', minimum: 1, default: 900 },
  baseDelayMs: { type: 'integer', minimum: 0, maximum: 60000, default: 250 },
  // Below the default hook budget (30 s), so a delayed SMTP reply never turns into a timeout.
  maxDelayMs: { type: 'integer', minimum: 0, maximum: 20000, default: 4000 },
} as const;

/** A throttle with the embedded failure store, from a plugin's options. */
export function throttleFromOptions(options: ThrottleOptions): LoginThrottle {
  return new LoginThrottle(new MemoryFailureStore(), {
    maxFailuresPerIp: options.maxFailuresPerIp,
    maxFailuresPerLogin: options.maxFailuresPerLogin,
    windowMs: options.windowSeconds * 1000,
    lockoutMs: options.lockoutSeconds * 1000,
    baseDelayMs: options.baseDelayMs,
    maxDelayMs: options.maxDelayMs,
  });
}
