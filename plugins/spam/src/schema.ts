/**
 * JSON Schemas of the spam rule file (docs/rules.md) and of the parts of it that the plugin's
 * options may also carry. Checks a schema cannot express (regular expressions that compile,
 * CIDRs, unique names) are made in rules.ts and reported with the same JSON pointers.
 */

/** Test names go into X-Spam-Status between commas: letters, digits and `_` only. */
export const testName = { type: 'string', pattern: '^[A-Za-z0-9_]{1,64}$' } as const;
const score = { type: 'number' } as const;
const description = { type: 'string' } as const;
const hostname = { type: 'string', pattern: '^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?$', maxLength: 253 } as const;
/** JavaScript RegExp flags without the stateful ones (g, y): every test starts afresh. */
const flags = { type: 'string', pattern: '^[imsu]*$', default: '' } as const;
const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

export const thresholdsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    required: { type: 'number', description: 'At or above: tagged as spam (X-Spam-Flag: YES)' },
    junk: { type: 'number', description: 'At or above: delivered into the Junk mailbox' },
    reject: { type: 'number', description: 'At or above: refused with 550 5.7.1' },
  },
} as const;

export const dnsListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'zone'],
  properties: {
    name: testName,
    description,
    zone: hostname,
    kind: { enum: ['ip', 'domain'], default: 'ip' },
    score,
    returnCodes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['codes', 'score'],
        properties: { codes: { ...strings, minItems: 1 }, name: testName, description, score },
      },
    },
  },
} as const;

const listEntry = (actions: readonly string[]) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: testName,
      description,
      clients: strings,
      senders: strings,
      verified: { type: 'boolean', default: false },
      score,
      action: { enum: actions },
    },
  }) as const;

export const ruleFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    thresholds: thresholdsSchema,
    scores: { type: 'object', propertyNames: testName, additionalProperties: score, default: {} },
    headers: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'header', 'pattern', 'score'],
        properties: { name: testName, description, header: { type: 'string', pattern: '^[\\x21-\\x39\\x3b-\\x7e]+$' }, pattern: { type: 'string' }, flags, score },
      },
    },
    body: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'pattern', 'score'],
        properties: { name: testName, description, pattern: { type: 'string' }, flags, score },
      },
    },
    urls: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'domains', 'score'],
        properties: { name: testName, description, domains: { type: 'array', minItems: 1, items: hostname }, score },
      },
    },
    senders: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'patterns', 'score'],
        properties: {
          name: testName,
          description,
          patterns: { ...strings, minItems: 1 },
          match: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['envelope', 'from'] }, default: ['envelope', 'from'] },
          score,
        },
      },
    },
    allow: { type: 'array', default: [], items: listEntry(['accept']) },
    block: { type: 'array', default: [], items: listEntry(['junk', 'reject']) },
    dnsLists: { type: 'array', default: [], items: dnsListSchema },
  },
} as const;

/** The rule file's data after validation (defaults filled). */
export interface RuleFileData {
  readonly thresholds?: ThresholdsData;
  readonly scores: Readonly<Record<string, number>>;
  readonly headers: readonly { name: string; description?: string; header: string; pattern: string; flags: string; score: number }[];
  readonly body: readonly { name: string; description?: string; pattern: string; flags: string; score: number }[];
  readonly urls: readonly { name: string; description?: string; domains: string[]; score: number }[];
  readonly senders: readonly { name: string; description?: string; patterns: string[]; match: ('envelope' | 'from')[]; score: number }[];
  readonly allow: readonly ListEntryData[];
  readonly block: readonly ListEntryData[];
  readonly dnsLists: readonly DnsListData[];
}

export interface ThresholdsData {
  readonly required?: number;
  readonly junk?: number;
  readonly reject?: number;
}

export interface ListEntryData {
  readonly name: string;
  readonly description?: string;
  readonly clients?: string[];
  readonly senders?: string[];
  readonly verified: boolean;
  readonly score?: number;
  readonly action?: 'accept' | 'junk' | 'reject';
}

export interface DnsListData {
  readonly name: string;
  readonly description?: string;
  readonly zone: string;
  readonly kind: 'ip' | 'domain';
  readonly score?: number;
  readonly returnCodes?: readonly { codes: string[]; name?: string; description?: string; score: number }[];
}
