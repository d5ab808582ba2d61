import { join } from 'node:path';
import { Accounts, Mailboxes } from '@posthorn/contracts';
import { definePlugin } from '@posthorn/core';
import { tapLocalDelivery } from './delivery.ts';
import { type MailboxMaildirOptions, optionsSchema } from './options.ts';
import { MaildirStore } from './store.ts';

export { MailStoreError } from './errors.ts';
export { MaildirStore } from './store.ts';
export type { MailboxMaildirOptions } from './options.ts';

export default definePlugin<MailboxMaildirOptions>({
  name: 'mailbox-maildir',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Mailbox store on Maildir with an SQLite index (UIDs, flags, modseq), and local delivery',
  options: optionsSchema,
  provides: [Mailboxes],
  needs: [Accounts],
  setup(ctx, options) {
    const accounts = ctx.service(Accounts);
    const store = new MaildirStore({
      root: options.dir ? ctx.resolvePath(options.dir) : join(ctx.dataDir, 'mail'),
      log: ctx.log,
      quotaOf: async (user) => (await accounts.getAccount(user))?.quotaBytes,
    });
    ctx.provide(Mailboxes, store);
    tapLocalDelivery(ctx, accounts, store);
    ctx.onStop(() => store.close());
  },
});
