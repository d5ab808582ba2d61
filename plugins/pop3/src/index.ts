import { Accounts, Mailboxes } from '@posthorn/contracts';
import { definePlugin, PasswordGate, serveAccessListeners, throttleFromOptions } from '@posthorn/core';
import { pop3Listener } from './listener.ts';
import { optionsSchema, type Pop3Options } from './options.ts';

export { DotStuffer, TopCutter } from './dot-stuffing.ts';
export { LineReader } from './line-reader.ts';
export type { InputLine } from './line-reader.ts';
export { Replies } from './replies.ts';
export type { Pop3ListenerOptions, Pop3Options } from './options.ts';

/** RFC 1939 3: "the timer MUST be of at least 10 minutes' duration". */
const RFC_MIN_IDLE_TIMEOUT = 600_000;

export default definePlugin<Pop3Options>({
  name: 'pop3',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'POP3 server (RFC 1939, CAPA, STLS, SASL PLAIN, UIDL, TOP) over the mailbox store and the account directory',
  options: optionsSchema,
  needs: [Accounts, Mailboxes],
  setup(ctx, options) {
    if (options.idleTimeout < RFC_MIN_IDLE_TIMEOUT) ctx.log.warn({ idleTimeout: options.idleTimeout }, 'pop3 idle timeout is below the 10 minutes RFC 1939 asks for');

    const accounts = ctx.service(Accounts);
    const store = ctx.service(Mailboxes);
    const gate = new PasswordGate({
      protocol: 'pop3',
      accounts,
      throttle: throttleFromOptions(options),
      loginDelayMs: options.loginDelaySeconds * 1000,
    });

    serveAccessListeners(ctx, 'pop3', options.listeners, options.shutdownGrace, (config, tls, secureContext) =>
      pop3Listener(config, { hostname: ctx.hostname, store, gate, options, secureContext }, tls, ctx.log),
    );
  },
});
