import { SharedState } from '@posthorn/contracts';
import { clientNetwork, definePlugin } from '@posthorn/core';
import { type AllowList, type AllowListData, allowListSchema, compileAllowList } from './allow-list.ts';
import { Greylister } from './greylister.ts';
import { type GreylistOptions, optionsSchema } from './options.ts';
import { greylistTaps } from './taps.ts';

export { allowListSchema, compileAllowList } from './allow-list.ts';
export type { AllowList, AllowListData } from './allow-list.ts';
export { Greylister, KEY_PREFIX, tripletKey } from './greylister.ts';
export type { GreylistOutcome, GreylistTimes, Triplet } from './greylister.ts';
export type { GreylistOptions } from './options.ts';
export { GreylistReplies } from './replies.ts';
export { greylistTaps, isPostmaster } from './taps.ts';

/**
 * Stages: greylisting defers recipients before any plugin accepts them (stage 0) and after the
 * access list (-200) and rate limits (-100) had their say. The null sender's check after DATA
 * runs before the analysers (-100): no SPF or DKIM lookups for a message that is deferred.
 */
export const RCPT_STAGE = -50;
export const DATA_STAGE = -150;

export default definePlugin<GreylistOptions>({
  name: 'greylist',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Greylisting (RFC 6647): unknown (network, sender, recipient) triplets are asked to retry later',
  options: optionsSchema,
  needs: [SharedState],
  async setup(ctx, options) {
    const greylister = new Greylister(ctx.service(SharedState), {
      delayMs: options.delay * 1000,
      retryWindowMs: options.retryWindow * 1000,
      passTtlMs: options.passTtl * 1000,
      autoAllowAfter: options.autoAllowAfter,
    });
    const inline = compileAllowList(options.allow, '/allow');
    const file = options.allowFile
      ? await ctx.ruleSet<AllowList>({
          file: ctx.resolvePath(options.allowFile),
          schema: allowListSchema,
          compile: (data) => compileAllowList(data as AllowListData),
        })
      : undefined;
    const allowLists = (): readonly AllowList[] => (file ? [inline, file.current] : [inline]);
    const taps = greylistTaps(greylister, allowLists, (ip) => clientNetwork(ip, options.ipv4Prefix, options.ipv6Prefix));
    ctx.on('mailFrom', taps.mailFrom, { stage: RCPT_STAGE });
    ctx.on('rcpt', taps.rcpt, { stage: RCPT_STAGE });
    ctx.on('data', taps.data, { stage: DATA_STAGE });
  },
});
