import type { ListenerRole } from '@posthorn/core';

/** At most `limit` events per `window` seconds. */
export interface Limit {
  readonly limit: number;
  readonly window: number;
}

export interface SenderDomainLimit extends Limit {
  /** Which sessions count: from other servers, from our own users, or both. */
  readonly sessions: 'incoming' | 'outgoing' | 'all';
}

export interface RateLimitOptions {
  /** Connections per client network, counted at connect. */
  readonly connectionsPerClient?: Limit;
  /** MAIL FROM per client network, in sessions without a logged-in user. */
  readonly messagesPerClient?: Limit;
  /** MAIL FROM per authenticated user. */
  readonly messagesPerUser?: Limit;
  /** RCPT TO per authenticated user. */
  readonly recipientsPerUser?: Limit;
  /** MAIL FROM per envelope sender domain (the null sender is never counted). */
  readonly messagesPerSenderDomain?: SenderDomainLimit;
  /** Listener roles on which the per-client limits apply. */
  readonly clientListeners: readonly ListenerRole[];
  /** Client networks that no per-client or sender-domain limit applies to. */
  readonly exempt: readonly string[];
  /** Prefix lengths clients are grouped by. */
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
}

const limit = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'window'],
  properties: {
    limit: { type: 'integer', minimum: 1 },
    /** Seconds; fractions allowed (tests use tiny windows). */
    window: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

export const optionsSchema = {
  type: 'object',
  properties: {
    connectionsPerClient: limit,
    messagesPerClient: limit,
    messagesPerUser: limit,
    recipientsPerUser: limit,
    messagesPerSenderDomain: {
      ...limit,
      properties: { ...limit.properties, sessions: { enum: ['incoming', 'outgoing', 'all'], default: 'all' } },
    },
    clientListeners: { type: 'array', items: { enum: ['mx', 'submission', 'submissions'] }, uniqueItems: true, default: ['mx'] },
    exempt: { type: 'array', items: { type: 'string' }, default: [] },
    ipv4Prefix: { type: 'integer', minimum: 8, maximum: 32, default: 32 },
    ipv6Prefix: { type: 'integer', minimum: 16, maximum: 128, default: 64 },
  },
} as const;
