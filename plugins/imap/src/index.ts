import { Accounts, Mailboxes } from '@posthorn/contracts';
import { definePlugin, PasswordGate, serveAccessListeners, throttleFromOptions } from '@posthorn/core';
import { imapListener } from './listener.ts';
import { MessageCache } from './message-cache.ts';
import { type ImapOptions, optionsSchema } from './options.ts';
import { RecentClaims } from './recent-claims.ts';
import { UserSessions } from './user-sessions.ts';

export type { ImapListenerOptions, ImapOptions } from './options.ts';

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
    if (options.idleTimeout < RFC_MIN_IDLE_TIMEOUT) ctx.log.warn({ idleTimeout: options.idleTimeout }, 'imap idle timeout is below the 30 minutes RFC 9051 asks for');

    const accounts = ctx.service(Accounts);
    const store = ctx.service(Mailboxes);
    const gate = new PasswordGate({
      protocol: 'imap',
      accounts,
      throttle: throttleFromOptions(options),
    });
    const cache = new MessageCache(options.messageCacheBytes);
    const users = new UserSessions(options.maxSessionsPerUser);
    const recent = new RecentClaims();

    serveAccessListeners(ctx, 'imap', options.listeners, options.shutdownGrace, (config, tls, secureContext) =>
      imapListener(config, { hostname: ctx.hostname, store, accounts, gate, options, cache, users, recent, secureContext }, tls, ctx.log),
    );
  },
});
