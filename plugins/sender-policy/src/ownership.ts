import { domainToASCII } from 'node:url';

/** An address as compared here: local part unquoted, NFC, lower case; domain in A-label form, lower case. */
export interface AddressKey {
  readonly local: string;
  readonly domain: string;
}

/**
 * The comparable form of a local part and a domain. Domains are case-insensitive (RFC 5321
 * 2.4) and compared as A-labels, so `bücher.example` and `xn--bcher-kva.example` are one
 * domain. Local parts are folded too, as the account directory does (`Alice@` is `alice@`).
 * A trailing dot, an address literal or an invalid name stays as written (lower case), so it
 * never equals a real domain.
 */
export function addressKey(local: string, domain: string): AddressKey {
  const lowered = domain.toLowerCase();
  const ascii = lowered.startsWith('[') || lowered.endsWith('.') ? '' : domainToASCII(lowered);
  return { local: local.normalize('NFC').toLowerCase(), domain: ascii || lowered };
}

/**
 * Splits an envelope address (as smtp-server hands it: `user@domain` or `"quoted"@domain`)
 * at its last `@`. Undefined when there is no domain.
 */
export function envelopeKey(address: string): AddressKey | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  let local = address.slice(0, at);
  const quoted = /^"((?:[^"\\]|\\.)*)"$/s.exec(local);
  if (quoted) local = quoted[1]!.replace(/\\(.)/gs, '$1');
  return addressKey(local, address.slice(at + 1));
}

/** The addresses a user may send as. */
export interface Ownership {
  owns(address: AddressKey): boolean;
}

/**
 * Builds the check from the account's own addresses and the operator's extra permissions
 * (`other@addr`, or `@domain` for a whole domain). A sub-address (`alice+tag@`, with the
 * separator given) is owned when its base address is.
 */
export function ownership(own: readonly string[], extra: readonly string[], plusSeparator: string): Ownership {
  const addresses = new Set<string>();
  const domains = new Set<string>();
  const keyOf = (key: AddressKey) => JSON.stringify([key.local, key.domain]);
  for (const entry of [...own, ...extra]) {
    if (entry.startsWith('@')) {
      domains.add(addressKey('', entry.slice(1)).domain);
      continue;
    }
    const key = envelopeKey(entry);
    if (key) addresses.add(keyOf(key));
  }
  return {
    owns(address: AddressKey): boolean {
      if (addresses.has(keyOf(address)) || domains.has(address.domain)) return true;
      if (!plusSeparator) return false;
      const index = address.local.indexOf(plusSeparator);
      return index > 0 && addresses.has(keyOf({ local: address.local.slice(0, index), domain: address.domain }));
    },
  };
}
