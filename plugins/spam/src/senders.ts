import { domainToASCII } from 'node:url';

/**
 * Sender patterns of the rule file, the same syntax as the access list and the greylist allow
 * list: `alice@example.org` (that address), `@example.org` (that domain), `.example.org` (the
 * domains below it), `postmaster@` (that local part at any domain), `<>` (the null sender).
 * Case does not matter; domains are compared in A-label form.
 */
export interface SenderMatcher {
  /** The pattern that matched, or undefined. `''` is the null sender. */
  match(address: string): string | undefined;
}

const DOMAIN = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** A domain in A-label form, lower case, without a trailing dot; '' when it is no domain. */
function asciiDomain(domain: string): string {
  const ascii = domainToASCII(domain.trim().replace(/\.$/, '')).toLowerCase();
  return DOMAIN.test(ascii) ? ascii : '';
}

function splitAddress(address: string): { local: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return { local: address.slice(0, at).toLowerCase(), domain: asciiDomain(address.slice(at + 1)) };
}

/** Builds a matcher; returns the index of the first invalid pattern instead when there is one. */
export function compileSenders(patterns: readonly string[]): SenderMatcher | { invalid: number } {
  const addresses = new Map<string, string>();
  const domains = new Map<string, string>();
  const below = new Map<string, string>();
  const locals = new Map<string, string>();
  let nullSender: string | undefined;
  for (const [index, pattern] of patterns.entries()) {
    const text = pattern.trim();
    if (text === '<>') {
      nullSender = pattern;
    } else if (text.startsWith('@') || text.startsWith('.')) {
      const domain = asciiDomain(text.slice(1));
      if (!domain) return { invalid: index };
      (text.startsWith('@') ? domains : below).set(domain, pattern);
    } else if (text.endsWith('@') && text.indexOf('@') === text.length - 1 && !/\s/.test(text)) {
      locals.set(text.slice(0, -1).toLowerCase(), pattern);
    } else {
      const parts = splitAddress(text);
      if (!parts || !parts.domain || /\s/.test(parts.local)) return { invalid: index };
      addresses.set(`${parts.local}@${parts.domain}`, pattern);
    }
  }
  return {
    match(address) {
      if (address === '') return nullSender;
      const parts = splitAddress(address);
      if (!parts || !parts.domain) return undefined;
      const found = addresses.get(`${parts.local}@${parts.domain}`) ?? domains.get(parts.domain) ?? locals.get(parts.local);
      if (found) return found;
      for (let dot = parts.domain.indexOf('.'); dot !== -1; dot = parts.domain.indexOf('.', dot + 1)) {
        const parent = below.get(parts.domain.slice(dot + 1));
        if (parent) return parent;
      }
      return undefined;
    },
  };
}

/** The domain of an address, lower case (A-labels), or undefined for `<>` and bare local parts. */
export function domainOf(address: string): string | undefined {
  return splitAddress(address)?.domain || undefined;
}

/**
 * The addresses in a From value: those in angle brackets, or else the bare `local@domain`
 * words. Display names and comments are skipped; this is for matching, not for parsing.
 */
export function addressesIn(value: string): string[] {
  const withoutComments = value.replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
  const angled = [...withoutComments.matchAll(/<([^<>\s]+@[^<>\s]+)>/g)].map((m) => m[1]!);
  if (angled.length) return angled;
  const withoutQuoted = withoutComments.replace(/"(?:[^"\\]|\\.)*"/g, ' ');
  return [...withoutQuoted.matchAll(/[^\s,;:<>"]+@[^\s,;:<>"]+/g)].map((m) => m[0]);
}
