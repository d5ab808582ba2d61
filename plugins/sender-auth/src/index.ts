import { Resolver } from '@posthorn/contracts';
import { definePlugin, parseNetworks } from '@posthorn/core';
import { type SenderAuthOptions, optionsSchema } from './options.ts';
import { senderAuthTaps } from './taps.ts';

export { authResultsValue, authservIdOf, formatAddress, formatComment, formatValue, removeOwnResults } from './auth-results.ts';
export type { PropertyValue, ResInfo } from './auth-results.ts';
export { checkMessage } from './message-checks.ts';
export type { ArcFinding, DkimFinding, DmarcFinding, MessageFindings } from './message-checks.ts';
export type { ArcPolicy, DkimPolicy, DmarcPolicy, FailAction, SenderAuthOptions, SpfPolicy, TempAction } from './options.ts';
export { arcDecision, combine, dkimDecision, dmarcDecision, Replies, spfDecision, strongest } from './policy.ts';
export type { Decision } from './policy.ts';
export { noteFor, resultsFor } from './report.ts';
export type { SpfFindings } from './report.ts';
export { checkSpf } from './spf.ts';
export type { SpfCheck, SpfRequest } from './spf.ts';

export default definePlugin<SenderAuthOptions>({
  name: 'sender-auth',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Sender authentication of incoming mail: SPF, DKIM, DMARC, ARC; one Authentication-Results field; tag, Junk or refuse by policy',
  options: optionsSchema,
  needs: [Resolver],
  setup(ctx, options) {
    const taps = senderAuthTaps({
      name: ctx.name,
      options,
      authservId: options.authservId ?? ctx.hostname,
      hostname: ctx.hostname,
      resolver: ctx.service(Resolver),
      trusted: parseNetworks(options.skip.networks, 'sender-auth: skip.networks'),
    });
    // Stage -100: analysers, before header fixers (0), policy (50) and signing (100). SPF at
    // MAIL FROM so that a reject policy refuses before the message is sent.
    ctx.on('mailFrom', taps.mailFrom, { stage: -100 });
    ctx.on('data', taps.data, { stage: -100 });
  },
});
