import { setTimeout as delay } from 'node:timers/promises';
import { Accounts } from '@posthorn/contracts';
import { definePlugin, throttleFromOptions } from '@posthorn/core';
import { type AuthOptions, optionsSchema } from './options.ts';
import { passwordLogin } from './password-login.ts';

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
    const throttle = throttleFromOptions(options);
    const accounts = ctx.service(Accounts);
    const sleep = async (ms: number) => {
      if (ms > 0) await delay(ms, undefined, { ref: false });
    };
    ctx.on('auth', passwordLogin({ accounts, throttle, sleep }));
  },
});
