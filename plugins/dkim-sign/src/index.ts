import { join } from 'node:path';
import { Accounts } from '@posthorn/contracts';
import { definePlugin } from '@posthorn/core';
import { generateKey, parseKeygenArgs } from './keygen.ts';
import { KeyStore, loadConfiguredKeys } from './keys.ts';
import { normalizeDomain, recordName } from './names.ts';
import { type DkimSignOptions, optionsSchema } from './options.ts';
import { keyRecordValue } from './public-key.ts';
import { signingTap } from './tap.ts';

export { authorDomains } from './author-domains.ts';
export { defaultSelector, generateKey, parseKeygenArgs } from './keygen.ts';
export type { KeygenRequest } from './keygen.ts';
export { KeyStore, parsePrivateKey } from './keys.ts';
export type { SigningKey } from './keys.ts';
export { keyFilePath, parseKeyFileName, recordName } from './names.ts';
export { DEFAULT_SIGNED_HEADERS } from './options.ts';
export type { ConfiguredKey, DkimAlgorithm, DkimSignOptions } from './options.ts';
export { keyRecordValue, txtCharacterStrings, zoneLine } from './public-key.ts';
export { signMessage } from './sign.ts';
export { signingTap } from './tap.ts';

export default definePlugin<DkimSignOptions>({
  name: 'dkim-sign',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'DKIM signatures (rsa-sha256, ed25519-sha256) on submitted mail, keys per domain and selector, key generation',
  options: optionsSchema,
  uses: [Accounts],
  async setup(ctx, options) {
    if (!options.headers.some((name) => name.toLowerCase() === 'from')) {
      // RFC 6376 5.4: From MUST be signed; mailauth would refuse every message.
      throw new Error('dkim-sign: option headers must include From');
    }
    const directory = options.keyDirectory ? ctx.resolvePath(options.keyDirectory) : join(ctx.dataDir, 'dkim');
    const store = await KeyStore.open({
      configured: await loadConfiguredKeys(options.keys, (path) => ctx.resolvePath(path)),
      directory,
      log: ctx.log,
    });

    // Stage 100: after every header change (fixers at 0, policy at 50), so the signature
    // covers the header as it leaves.
    ctx.on('data', signingTap(options, (domain) => store.keysFor(domain)), { stage: 100 });

    ctx.admin('dkim.keygen', {
      description: 'Generate a DKIM key: dkim keygen DOMAIN [--selector S] [--algorithm rsa|ed25519] [--bits 2048] [--force]',
      run: async (args) => {
        const request = parseKeygenArgs(args);
        const { file, text } = await generateKey(directory, request, store.all(), ctx.mode === 'server');
        ctx.log.info({ file, domain: request.domain, selector: request.selector, algorithm: request.algorithm }, 'dkim-sign: key generated');
        // In a running server the new key signs from the next message on.
        await store.reload();
        return text;
      },
    });

    // A local domain without a key sends unsigned mail, which DMARC receivers may refuse; say so
    // once at start, with the command that fixes it.
    const accounts = ctx.optionalService(Accounts);
    ctx.onStart(async () => {
      let domains: string[] = [];
      try {
        domains = (await accounts?.listDomains()) ?? [];
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'dkim-sign: cannot list local domains');
      }
      for (const domain of domains.filter((d) => store.keysFor(normalizeDomain(d) ?? d).length === 0)) {
        ctx.log.info({ domain }, `dkim-sign: no DKIM key for local domain ${domain}; mail From it leaves unsigned (posthorn dkim keygen ${domain})`);
      }
    });

    ctx.adviseDns((domain) => {
      const normalized = normalizeDomain(domain);
      if (!normalized) return [];
      return store.keysFor(normalized).map((key) => ({
        name: recordName(key.selector, key.domain),
        type: 'TXT',
        value: keyRecordValue(key.key),
        purpose: `DKIM public key, selector ${key.selector} (${key.algorithm}): receivers verify this server's signatures with it`,
      }));
    });
  },
});
