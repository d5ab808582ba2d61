/**
 * Address handling shared by the loader and the lookups. Domains are case-insensitive
 * (RFC 5321 2.4), so they are lower-cased; local parts are case-sensitive on the wire but
 * nobody expects `Alice@` and `alice@` to be two people, so lookups fold them too.
 */

import { domainToASCII } from 'node:url';

export interface ParsedAddress {
  /** The local part as written. */
  readonly local: string;
  /** Lower-cased domain in A-label form, exactly as given otherwise (a trailing dot is kept). */
  readonly domain: string;
}

/** A host name: labels of letters, digits and hyphens. An address literal is never local here. */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Splits at the last `@` (a quoted local part may contain one). Undefined when there is no domain. */
export function parseAddress(address: string): ParsedAddress | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return { local: address.slice(0, at), domain: asciiDomain(address.slice(at + 1)) };
}

/**
 * One form for every domain: lower case, internationalized labels as A-labels (`xn--...`).
 * smtp-server hands over U-labels (it decodes A-labels), files may hold either.
 */
export function asciiDomain(domain: string): string {
  const lower = domain.toLowerCase();
  if (/^[\x00-\x7f]*$/.test(lower)) return lower;
  return domainToASCII(lower) || lower;
}

export function isDomainName(domain: string): boolean {
  return DOMAIN.test(domain);
}

/** The key an address is looked up by: the whole address folded to lower case. */
export function lookupKey(local: string, domain: string): string {
  return `${local.toLowerCase()}@${domain.toLowerCase()}`;
}

/** The canonical form of an account id: local part as written, domain lower-cased. */
export function canonicalAddress(address: string): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed || !isLocalPart(parsed.local) || !isDomainName(parsed.domain)) return undefined;
  return `${parsed.local}@${parsed.domain}`;
}

/**
 * Local parts accepted in the file: printable ASCII without spaces, quotes, angle brackets,
 * or `@`. Stricter than RFC 5321's quoted strings on purpose: an account name is also a login
 * name and a directory name.
 */
export function isLocalPart(local: string): boolean {
  return /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$/.test(local) && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

/** The local part without its `+tag`, or undefined when there is no tag to strip. */
export function stripTag(local: string, separator: string): string | undefined {
  if (!separator) return undefined;
  const index = local.indexOf(separator);
  return index > 0 ? local.slice(0, index) : undefined;
}
