/**
 * outbound: delivers recipients outside the local domains by SMTP, through their mail
 * exchangers (MX lookup through the Resolver service) or static routes and smarthosts, with
 * STARTTLS, connection reuse, per-destination limits, and one transaction per message and
 * destination for recipients that are due together.
 */
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Accounts, Resolver } from '@posthorn/contracts';
import { definePlugin } from '@posthorn/core';
import { type OutboundOptions, optionsSchema } from './options.ts';
import { Outbound } from './outbound.ts';

export type { OutboundOptions, RouteOptions, TlsMode } from './options.ts';

export default definePlugin<OutboundOptions>({
  name: 'outbound',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Remote delivery by SMTP: MX lookup, static routes and smarthosts, STARTTLS, connection reuse, limits',
  options: optionsSchema,
  needs: [Resolver],
  uses: [Accounts],
  async setup(ctx, options) {
    // Extra CAs are trusted besides the system's, not instead of them.
    const ca = options.ca ? [...rootCertificates, await readFile(ctx.resolvePath(options.ca), 'utf8')] : undefined;
    const outbound = new Outbound({
      options,
      resolver: ctx.service(Resolver),
      accounts: ctx.optionalService(Accounts),
      heloName: options.heloName ?? ctx.hostname,
      ca,
      log: ctx.log,
    });
    // Late, after local delivery (stage 0) had its say: what is left goes out.
    ctx.on('deliver', (delivery) => outbound.deliver(delivery), { stage: 100 });
    ctx.onStop(() => outbound.close());
  },
});
