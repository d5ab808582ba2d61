import { Accounts } from '@posthorn/contracts';
import { definePlugin, parseNetworks } from '@posthorn/core';
import { type RelayOptions, optionsSchema } from './options.ts';
import { relayTap } from './relay-tap.ts';

export { isAsciiLocalPart, recipientTarget } from './recipient.ts';
export type { RecipientTarget } from './recipient.ts';
export { relayTap } from './relay-tap.ts';
export { RelayReplies } from './replies.ts';
export type { RelayOptions } from './options.ts';

/**
 * After local delivery (stage 0) and recipient policy checks: relay is the last word on a
 * recipient nobody local has claimed.
 */
export const RELAY_STAGE = 100;

export default definePlugin<RelayOptions>({
  name: 'relay',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Relay policy: authenticated users and listed networks may send to non-local domains',
  options: optionsSchema,
  uses: [Accounts],
  setup(ctx, options) {
    const networks = parseNetworks(options.networks, 'relay: networks');
    const accounts = ctx.optionalService(Accounts);
    if (!accounts) ctx.log.warn('no account directory: every domain counts as non-local for relay');
    ctx.on('rcpt', relayTap(accounts, networks), { stage: RELAY_STAGE });
  },
});
