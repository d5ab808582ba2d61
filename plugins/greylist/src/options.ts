import { allowListSchema, type AllowListData } from './allow-list.ts';

export interface GreylistOptions {
  /** Seconds a new triplet must wait before a retry passes (RFC 6647 calls it the delay). */
  readonly delay: number;
  /** Seconds after the first attempt within which the retry must come, or it starts over. */
  readonly retryWindow: number;
  /** Seconds a passed triplet, and an auto-allowed network, are remembered after last use. */
  readonly passTtl: number;
  /** Passed triplets from one client network after which it skips greylisting; 0: never. */
  readonly autoAllowAfter: number;
  /** Client networks are grouped by these prefix lengths (a sender's pool retries from its neighbours). */
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** Never greylisted, written in the config (restart to change). */
  readonly allow: AllowListData;
  /** The same as a rule file, reloaded on change. */
  readonly allowFile?: string;
}

export const optionsSchema = {
  type: 'object',
  properties: {
    delay: { type: 'number', minimum: 0, default: 300 },
    retryWindow: { type: 'number', exclusiveMinimum: 0, default: 86_400 },
    passTtl: { type: 'number', exclusiveMinimum: 0, default: 36 * 86_400 },
    autoAllowAfter: { type: 'integer', minimum: 0, default: 3 },
    ipv4Prefix: { type: 'integer', minimum: 8, maximum: 32, default: 24 },
    ipv6Prefix: { type: 'integer', minimum: 16, maximum: 128, default: 64 },
    allow: allowListSchema,
    allowFile: { type: 'string', minLength: 1 },
  },
} as const;
