import { type AddressPatterns, compileAddressPatterns, type NetworkList, parseNetworkEntries, RuleSetError, type SchemaIssue } from '@posthorn/core';

/** What is never greylisted: clients in these networks, these senders, these recipients. */
export interface AllowList {
  readonly networks: NetworkList;
  readonly senders: AddressPatterns;
  readonly recipients: AddressPatterns;
}

export interface AllowListData {
  readonly networks: readonly string[];
  readonly senders: readonly string[];
  readonly recipients: readonly string[];
}

const list = { type: 'array', items: { type: 'string', minLength: 1 }, default: [] } as const;

/** Schema of the allow-list file, and of the inline `allow` option. */
export const allowListSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: { networks: list, senders: list, recipients: list },
} as const;

/**
 * Compiles validated data. Every entry that is not a network or an address pattern is reported
 * with its JSON pointer (under `base`), so the admin learns the file and line of each one.
 */
export function compileAllowList(data: AllowListData, base = ''): AllowList {
  const issues: SchemaIssue[] = [];
  const networks = parseNetworkEntries(data.networks);
  for (const index of networks.invalid) issues.push({ pointer: `${base}/networks/${index}`, message: `not a network in CIDR notation: ${JSON.stringify(data.networks[index])}` });
  const senders = compileAddressPatterns(data.senders);
  for (const { index, message } of senders.invalid) issues.push({ pointer: `${base}/senders/${index}`, message });
  const recipients = compileAddressPatterns(data.recipients);
  for (const { index, message } of recipients.invalid) issues.push({ pointer: `${base}/recipients/${index}`, message });
  if (issues.length) throw new RuleSetError(issues);
  return { networks: networks.list, senders: senders.patterns, recipients: recipients.patterns };
}

export const EMPTY_ALLOW_LIST: AllowList = compileAllowList({ networks: [], senders: [], recipients: [] });
