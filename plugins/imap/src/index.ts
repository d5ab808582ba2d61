import { setTimeout as delay } from 'node:timers/promises';
import { createSecureContext } from 'node:tls';
import { Accounts, Mailboxes } from '@posthorn/contracts';
import { definePlugin, PasswordGate, PosthornError, type SessionListener, throttleFromOptions } from '@posthorn/core';
import { imapListener } from './listener.ts';
import { MessageCache } from './message-cache.ts';
import { type ImapOptions, listenerName, optionsSchema } from './options.ts';
import { UserSessions } from './user-sessions.ts';

export type { ImapListenerOptions, ImapOptions, TlsMode } from './options.ts';

/** RFC 9051 5.4: "the timer MUST be of at least 30 minutes' duration". */
const RFC_MIN_IDLE_TIMEOUT = 1_800_000;

export default definePlugin<ImapOptions>({
  name: 'imap',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'IMAP server (IMAP4rev1, IMAP4rev2, IDLE, UIDPLUS, MOVE, CONDSTORE, QRESYNC, ...) over the mailbox store and the account directory',
  options: optionsSchema,
  needs: [Accounts, Mailboxes],
  setup(ctx, options) {
    const names = options.listeners.map(listenerName);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) throw new Error(`two IMAP listeners are named ${duplicate}; give them distinct names`);
    if (options.idleTimeout < RFC_MIN_IDLE_TIMEOUT) ctx.log.warn({ idleTimeout: options.idleTimeout }, 'imap idle timeout is below the 30 minutes RFC 9051 asks for');

    const accounts = ctx.service(Accounts);
    const store = ctx.service(Mailboxes);
    const gate = new PasswordGate({
      protocol: 'imap',
      accounts,
      throttle: throttleFromOptions(options),
      sleep: async (ms) => {
        if (ms > 0) await delay(ms, undefined, { ref: false });
      },
      loginDelayMs: 0,
    });
    const cache = new MessageCache(options.messageCacheBytes);
    const users = new UserSessions(options.maxSessionsPerUser);

    const listeners: SessionListener[] = [];
    ctx.onStart(async () => {
      const tls = await ctx.tls();
      const secureContext = createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
      for (const config of options.listeners) {
        const listener = imapListener(config, { hostname: ctx.hostname, store, accounts, gate, options, cache, users, secureContext }, tls, ctx.log);
        let address;
        try {
          address = await listener.listen();
        } catch (err) {
          throw new PosthornError('PH_LISTENER', `listener ${listener.name} cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, { listener: listener.name, plugin: 'imap' }, { cause: err });
        }
        listeners.push(listener);
        ctx.listening({ name: listener.name, role: config.tls === 'implicit' ? 'imaps' : 'imap', host: address.address, port: address.port });
      }
    });
    ctx.onStop(async () => {
      const open = listeners.splice(0);
      await Promise.all(open.map((listener) => listener.close(options.shutdownGrace)));
    });
  },
});
