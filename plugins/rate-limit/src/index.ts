import { SharedState } from '@posthorn/contracts';
import { clientNetwork, definePlugin, parseNetworks } from '@posthorn/core';
import { optionsSchema, type RateLimitOptions } from './options.ts';
import { rateLimitTaps } from './taps.ts';

export { countEvent, KEY_PREFIX } from './counter.ts';
export type { Count } from './counter.ts';
export type { Limit, RateLimitOptions, SenderDomainLimit } from './options.ts';
export { RateLimitReplies } from './replies.ts';
export { rateLimitTaps, senderDomain } from './taps.ts';

/** After the access list (-200), before greylisting (-50) and before anyone accepts (0). */
export const STAGE = -100;

export default definePlugin<RateLimitOptions>({
  name: 'rate-limit',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Rate limits per client network, authenticated user and sender domain',
  options: optionsSchema,
  needs: [SharedState],
  setup(ctx, options) {
    const taps = rateLimitTaps(ctx.service(SharedState), options, parseNetworks(options.exempt, 'rate-limit: exempt'), (ip) => clientNetwork(ip, options.ipv4Prefix, options.ipv6Prefix));
    const configured = ['connectionsPerClient', 'messagesPerClient', 'messagesPerUser', 'recipientsPerUser', 'messagesPerSenderDomain'].filter((key) => key in options);
    if (configured.length === 0) ctx.log.warn('rate-limit: no limit is configured; the plugin does nothing');
    if (options.connectionsPerClient) ctx.on('connect', taps.connect, { stage: STAGE });
    ctx.on('mailFrom', taps.mailFrom, { stage: STAGE });
    if (options.recipientsPerUser) ctx.on('rcpt', taps.rcpt, { stage: STAGE });
  },
});
