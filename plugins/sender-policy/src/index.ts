import { Accounts } from '@posthorn/contracts';
import { definePlugin } from '@posthorn/core';
import { optionsSchema, type SenderPolicyOptions } from './options.ts';
import { envelopeTap, headerTap, ownershipLookup } from './sender-taps.ts';

export { parseAddressList } from './address-list.ts';
export type { Mailbox, ParseResult } from './address-list.ts';
export { addressKey, envelopeKey, ownership } from './ownership.ts';
export type { AddressKey, Ownership } from './ownership.ts';
export { envelopeTap, headerTap, ownershipLookup } from './sender-taps.ts';
export { SenderReplies } from './replies.ts';
export type { SenderPolicyOptions } from './options.ts';

/** Data-hook stage of the header check: after the header fixers (0), before signing (100). */
export const HEADER_STAGE = 50;

export default definePlugin<SenderPolicyOptions>({
  name: 'sender-policy',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Authenticated users send only as their own addresses (MAIL FROM and From:/Sender:)',
  options: optionsSchema,
  needs: [Accounts],
  setup(ctx, options) {
    const lookup = ownershipLookup(ctx.service(Accounts), options);
    ctx.on('mailFrom', envelopeTap(lookup, options));
    ctx.on('data', headerTap(lookup, options), { stage: HEADER_STAGE });
  },
});
