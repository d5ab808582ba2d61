import { domainToASCII } from 'node:url';

/**
 * Address patterns an admin writes in a rule file:
 * - `alice@example.org`: that address;
 * - `@example.org`: any address at that domain;
 * - `.example.org`: any address at a subdomain of example.org (not example.org itself: list
 *   `@example.org` too for both);
 * - `abuse@`: that local part at any domain.
 * Matching ignores case; domains are compared in A-label form, so `bücher.example` and
 * `xn--bcher-kva.example` are one domain.
 */
export interface AddressPatterns {
  matches(address: string): boolean;
  readonly size: number;
}

const DOMAIN = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Lower case, A-labels; undefined for something that is not a domain name. */
export function normaliseDomain(domain: string): string | undefined {
  const lower = domain.toLowerCase().replace(/\.$/, '');
  const ascii = /^[\x00-\x7f]*$/.test(lower) ? lower : domainToASCII(lower);
  return ascii && DOMAIN.test(ascii) ? ascii : undefined;
}

/** `local@domain` with the local part in lower case and the domain normalised; the null sender stays "". */
export function normaliseAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at === -1) return address.toLowerCase();
  const domain = address.slice(at + 1);
  return `${address.slice(0, at).toLowerCase()}@${normaliseDomain(domain) ?? domain.toLowerCase()}`;
}

/** Compiles patterns; `invalid` lists the index and reason of each one that is not a pattern. */
export function compileAddressPatterns(patterns: readonly string[]): { patterns: AddressPatterns; invalid: { index: number; message: string }[] } {
  const addresses = new Set<string>();
  const domains = new Set<string>();
  const suffixes = new Set<string>();
  const localParts = new Set<string>();
  const invalid: { index: number; message: string }[] = [];
  patterns.forEach((raw, index) => {
    const pattern = raw.trim();
    const at = pattern.lastIndexOf('@');
    if (pattern.startsWith('.')) {
      const domain = normaliseDomain(pattern.slice(1));
      if (domain) suffixes.add(domain);
      else invalid.push({ index, message: `not a domain suffix: ${JSON.stringify(raw)}` });
    } else if (at === 0) {
      const domain = normaliseDomain(pattern.slice(1));
      if (domain) domains.add(domain);
      else invalid.push({ index, message: `not a domain: ${JSON.stringify(raw)}` });
    } else if (at === pattern.length - 1 && at > 0) {
      const local = pattern.slice(0, at);
      if (/[\s@]/.test(local)) invalid.push({ index, message: `not a local part: ${JSON.stringify(raw)}` });
      else localParts.add(local.toLowerCase());
    } else if (at > 0) {
      const domain = normaliseDomain(pattern.slice(at + 1));
      if (domain && !/\s/.test(pattern)) addresses.add(`${pattern.slice(0, at).toLowerCase()}@${domain}`);
      else invalid.push({ index, message: `not an address: ${JSON.stringify(raw)}` });
    } else {
      invalid.push({ index, message: `write @${pattern} for the domain, .${pattern} for its subdomains, or a whole address` });
    }
  });
  return {
    invalid,
    patterns: {
      size: addresses.size + domains.size + suffixes.size + localParts.size,
      matches(address: string): boolean {
        if (!address) return false;
        const normal = normaliseAddress(address);
        const at = normal.lastIndexOf('@');
        if (at === -1) return false;
        if (addresses.has(normal) || localParts.has(normal.slice(0, at))) return true;
        const domain = normal.slice(at + 1);
        if (domains.has(domain)) return true;
        // Each parent of the domain, shortest last: a.b.example.org -> b.example.org, example.org, org.
        for (let dot = domain.indexOf('.'); dot !== -1; dot = domain.indexOf('.', dot + 1)) {
          if (suffixes.has(domain.slice(dot + 1))) return true;
        }
        return false;
      },
    },
  };
}
