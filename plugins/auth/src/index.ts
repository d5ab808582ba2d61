import { setTimeout as delay } from 'node:timers/promises';
import { Accounts } from '@posthorn/contracts';
import { definePlugin } from '@posthorn/core';
import { MemoryFailureStore } from './failure-store.ts';
import { type AuthOptions, optionsSchema } from './options.ts';
import { passwordLogin } from './password-login.ts';
import { AuthThrottle } from './throttle.ts';

export { MemoryFailureStore } from './failure-store.ts';
export type { FailureStore } from './failure-store.ts';
export { AuthThrottle, loginKey } from './throttle.ts';
export type { FailureRecord, LockScope, ThrottleLimits } from './throttle.ts';
export { clientKey, isLoopback } from './client-address.ts';
export { passwordLogin } from './password-login.ts';
export type { AuthTap, PasswordLoginDeps } from './password-login.ts';
export { AuthReplies } from './replies.ts';
export type { AuthOptions } from './options.ts';

export default definePlugin<AuthOptions>({
  name: 'auth',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'SMTP AUTH (PLAIN, LOGIN) against the account directory, only over TLS, with throttling and lockout',
  options: optionsSchema,
  needs: [Accounts],
  setup(ctx, options) {
    const throttle = new AuthThrottle(new MemoryFailureStore(), {
      maxFailuresPerIp: options.maxFailuresPerIp,
      maxFailuresPerLogin: options.maxFailuresPerLogin,
      windowMs: options.windowSeconds * 1000,
      lockoutMs: options.lockoutSeconds * 1000,
      baseDelayMs: options.baseDelayMs,
      maxDelayMs: options.maxDelayMs,
    });
    const accounts = ctx.service(Accounts);
    const sleep = async (ms: number) => {
      if (ms > 0) await delay(ms, undefined, { ref: false });
    };
    ctx.on('auth', passwordLogin({ accounts, throttle, sleep }));
  },
});
