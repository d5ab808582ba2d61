import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import type { DkimAlgorithm } from './options.ts';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** RFC 6376 3.1: a selector is one or more labels (sub-domain syntax), dots allowed. */
const SELECTOR = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);

/**
 * A domain as keys are filed and looked up: A-labels (RFC 5890), lower case, no trailing dot.
 * Returns undefined for something that is not a domain name.
 */
export function normalizeDomain(domain: string): string | undefined {
  const ascii = domainToASCII(domain.trim().replace(/\.$/, '')).toLowerCase();
  return ascii && DOMAIN.test(ascii) ? ascii : undefined;
}

export function isValidSelector(selector: string): boolean {
  return SELECTOR.test(selector) && selector.length <= 253;
}

/** The file-name suffix of each algorithm's keys in the key directory. */
export const FILE_KIND: Record<DkimAlgorithm, 'rsa' | 'ed25519'> = { 'rsa-sha256': 'rsa', 'ed25519-sha256': 'ed25519' };
export const ALGORITHM_OF_KIND: Record<'rsa' | 'ed25519', DkimAlgorithm> = { rsa: 'rsa-sha256', ed25519: 'ed25519-sha256' };

/** `<dir>/<domain>/<selector>.<rsa|ed25519>.pem` */
export function keyFilePath(dir: string, domain: string, selector: string, algorithm: DkimAlgorithm): string {
  return join(dir, domain, `${selector}.${FILE_KIND[algorithm]}.pem`);
}

/** Selector and algorithm from a key file's name, or undefined for a file that is not a key. */
export function parseKeyFileName(name: string): { selector: string; algorithm: DkimAlgorithm } | undefined {
  const match = /^(.+)\.(rsa|ed25519)\.pem$/.exec(name);
  if (!match || !isValidSelector(match[1]!)) return undefined;
  return { selector: match[1]!, algorithm: ALGORITHM_OF_KIND[match[2] as 'rsa' | 'ed25519'] };
}

/** Where the public key is published (RFC 6376 3.6.2.1). */
export function recordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}.`;
}
