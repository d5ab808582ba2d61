import { join } from 'node:path';
import { Accounts } from '@posthorn/contracts';
import { definePlugin } from '@posthorn/core';
import { FileAccountDirectory } from './directory.ts';
import { type AccountsFileOptions, optionsSchema } from './options.ts';

export { FileAccountDirectory } from './directory.ts';
export { AccountsError } from './errors.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export type { AccountsFileOptions } from './options.ts';

export default definePlugin<AccountsFileOptions>({
  name: 'accounts-file',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Account directory in a YAML file: local domains, users, aliases, hashed passwords; reloaded on change',
  options: optionsSchema,
  provides: [Accounts],
  async setup(ctx, options) {
    const directory = await FileAccountDirectory.open({
      file: options.file ? ctx.resolvePath(options.file) : join(ctx.dataDir, 'accounts.yaml'),
      extraDomains: options.domains,
      plusSeparator: options.plusSeparator,
      log: ctx.log,
      createMissing: ctx.mode === 'server',
    });
    ctx.provide(Accounts, directory);
    // Only a running server follows edits; an admin command reads the file once and exits.
    ctx.onStart(() => directory.watch());
    // SIGHUP and `posthorn reload` read it again too (for file systems where watching fails).
    ctx.onReload(async () => ({ file: directory.file, reloaded: await directory.reload() }));
    ctx.onStop(() => directory.close());
  },
});
