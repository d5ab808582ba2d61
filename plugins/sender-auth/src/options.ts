/** What a finding does to the message: written into the header only, filed into Junk, or refused. */
export type FailAction = 'tag' | 'junk' | 'reject';
/** What a temporary error does: written into the header only, or the client is asked to retry (4xx). */
export type TempAction = 'tag' | 'tempfail';

export interface SpfPolicy {
  readonly fail: FailAction;
  readonly softfail: FailAction;
  readonly permerror: FailAction;
  readonly temperror: TempAction;
}

export interface DkimPolicy {
  /** The message is signed, but no signature verifies and at least one failed. */
  readonly fail: FailAction;
  /** No signature verifies and at least one key could not be fetched (DNS error). */
  readonly temperror: TempAction;
}

export interface DmarcPolicy {
  /** Every DMARC failure, whatever policy the author domain publishes. */
  readonly fail: FailAction;
  /** Refuse a failing message when the author domain publishes p=reject (operator opt-in). */
  readonly honorReject: boolean;
  /** File a failing message into Junk when the author domain publishes p=quarantine (or p=reject that is not honoured as such). */
  readonly honorQuarantine: boolean;
  readonly temperror: TempAction;
  /** DMARC cannot be evaluated: several From fields, several author domains, no usable domain. */
  readonly permerror: FailAction;
}

export interface ArcPolicy {
  readonly fail: FailAction;
}

export interface SenderAuthOptions {
  /** authserv-id of our Authentication-Results field (RFC 8601 2.5); default: the server's hostname. */
  readonly authservId?: string;
  /** mailauth's strict mode: every check follows its RFC exactly (RFC 7208, 6376, 8301, 8617, 7489). */
  readonly strict: boolean;
  /** Also check the HELO identity (RFC 7208 2.3) when MAIL FROM is not the null sender. */
  readonly heloCheck: boolean;
  /** Time limit of one SPF evaluation in ms (RFC 7208 4.6.4); past it the result is temperror. */
  readonly spfTimeLimit: number;
  /** RSA keys shorter than this give dkim=policy (RFC 8301 3.2 asks for at least 1024). */
  readonly minBitLength: number;
  /** Sessions that are not checked at all: trusted networks (CIDR). Authenticated and submission sessions never are. */
  readonly skip: { readonly networks: readonly string[] };
  readonly policy: {
    readonly spf: SpfPolicy;
    readonly dkim: DkimPolicy;
    readonly dmarc: DmarcPolicy;
    readonly arc: ArcPolicy;
  };
}

const failAction = { enum: ['tag', 'junk', 'reject'], default: 'tag' } as const;
const tempAction = { enum: ['tag', 'tempfail'], default: 'tag' } as const;

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // RFC 8601 2.5: a domain name is recommended; a token keeps the field parseable.
    authservId: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9!#$%&\'*+\\-./^_`{|}~]+$' },
    strict: { type: 'boolean', default: true },
    heloCheck: { type: 'boolean', default: true },
    spfTimeLimit: { type: 'integer', minimum: 1000, default: 20000 },
    minBitLength: { type: 'integer', minimum: 512, default: 1024 },
    skip: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { networks: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] } },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        spf: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { fail: failAction, softfail: failAction, permerror: failAction, temperror: tempAction },
        },
        dkim: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { fail: failAction, temperror: tempAction },
        },
        dmarc: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            fail: failAction,
            honorReject: { type: 'boolean', default: false },
            honorQuarantine: { type: 'boolean', default: true },
            temperror: tempAction,
            permerror: failAction,
          },
        },
        arc: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { fail: failAction },
        },
      },
    },
  },
} as const;
