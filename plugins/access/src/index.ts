import { definePlugin } from '@posthorn/core';
import { type AccessOptions, optionsSchema } from './options.ts';
import { type AccessFileData, type AccessList, accessFileSchema, compileAccessList } from './rules.ts';
import { accessTaps } from './taps.ts';

export { firstMatch } from './evaluate.ts';
export { compileHostPatterns } from './host-patterns.ts';
export type { HostPatterns } from './host-patterns.ts';
export type { AccessOptions } from './options.ts';
export { ALLOWED_CODES, defaultReply } from './replies.ts';
export { accessFileSchema, compileAccessList } from './rules.ts';
export type { AccessEntry, AccessFileData, AccessList, Action, EntryData } from './rules.ts';
export { STAGES } from './stages.ts';
export type { Facts, Stage, StageIndex } from './stages.ts';
export { accessTaps } from './taps.ts';

/** Checks come first: before rate limits (-100), greylisting (-50) and anyone accepting (0). */
export const STAGE = -200;

export default definePlugin<AccessOptions>({
  name: 'access',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Access list: reject, tempfail or allow by client network, HELO name, sender and recipient',
  options: optionsSchema,
  async setup(ctx, options) {
    const rules = await ctx.ruleSet<AccessList>({
      file: ctx.resolvePath(options.file),
      schema: accessFileSchema,
      compile: (data) => compileAccessList(data as AccessFileData),
    });
    const taps = accessTaps(rules);
    ctx.on('connect', taps.connect, { stage: STAGE });
    ctx.on('helo', taps.helo, { stage: STAGE });
    ctx.on('mailFrom', taps.mailFrom, { stage: STAGE });
    ctx.on('rcpt', taps.rcpt, { stage: STAGE });
  },
});
