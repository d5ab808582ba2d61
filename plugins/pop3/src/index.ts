import { setTimeout as delay } from 'node:timers/promises';
import { createSecureContext } from 'node:tls';
import { Accounts, Mailboxes } from '@posthorn/contracts';
import { definePlugin, PasswordGate, PosthornError, type SessionListener, throttleFromOptions } from '@posthorn/core';
import { pop3Listener } from './listener.ts';
import { listenerName, optionsSchema, type Pop3Options } from './options.ts';

export { DotStuffer, TopCutter } from './dot-stuffing.ts';
export { LineReader } from './line-reader.ts';
export type { InputLine } from './line-reader.ts';
export { Replies } from './replies.ts';
export type { Pop3ListenerOptions, Pop3Options, TlsMode } from './options.ts';

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
    const names = options.listeners.map(listenerName);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) throw new Error(`two POP3 listeners are named ${duplicate}; give them distinct names`);
    if (options.idleTimeout < RFC_MIN_IDLE_TIMEOUT) ctx.log.warn({ idleTimeout: options.idleTimeout }, 'pop3 idle timeout is below the 10 minutes RFC 1939 asks for');

    const accounts = ctx.service(Accounts);
    const store = ctx.service(Mailboxes);
    const gate = new PasswordGate({
      protocol: 'pop3',
      accounts,
      throttle: throttleFromOptions(options),
      sleep: async (ms) => {
        if (ms > 0) await delay(ms, undefined, { ref: false });
      },
      loginDelayMs: options.loginDelaySeconds * 1000,
    });

    const listeners: SessionListener[] = [];
    ctx.onStart(async () => {
      const tls = await ctx.tls();
      const secureContext = createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
      for (const config of options.listeners) {
        const listener = pop3Listener(config, { hostname: ctx.hostname, store, gate, options, secureContext }, tls, ctx.log);
        let address;
        try {
          address = await listener.listen();
        } catch (err) {
          throw new PosthornError('PH_LISTENER', `listener ${listener.name} cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, { listener: listener.name, plugin: 'pop3' }, { cause: err });
        }
        listeners.push(listener);
        ctx.listening({ name: listener.name, role: config.tls === 'implicit' ? 'pop3s' : 'pop3', host: address.address, port: address.port });
      }
    });
    ctx.onStop(async () => {
      const open = listeners.splice(0);
      await Promise.all(open.map((listener) => listener.close(options.shutdownGrace)));
    });
  },
});
