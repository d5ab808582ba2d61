import { domainToASCII, domainToUnicode } from 'node:url';

/** What relay policy sees in an envelope recipient. */
export type RecipientTarget =
  /** No domain at all: the bare `Postmaster` of RFC 5321 4.5.1, always local. */
  | { readonly kind: 'no-domain' }
  /** `user@[192.0.2.1]` or `user@[IPv6:...]`: never relayed. */
  | { readonly kind: 'literal' }
  /** Cannot be an address we would route: refused as a syntax error. */
  | { readonly kind: 'invalid'; readonly reason: string }
  | {
      readonly kind: 'domain';
      readonly local: string;
      /** The domain in A-label form (punycode), lower case: the one form domains are compared in. */
      readonly ascii: string;
      /** The same domain in U-label form, lower case. */
      readonly unicode: string;
    };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Finds the one domain an address can be routed to, strictly. Everything that could make
 * some mail system route the message elsewhere than that domain is `invalid`:
 *
 * - a second `@`, quoted or not (`"user@other"@local`, `user@other@local`);
 * - a source route (`@a:b@c`; smtp-server strips a well-formed one, this catches what is left);
 * - a domain that ends in a dot (`example.com.`), has empty or over-long labels, or labels
 *   outside letters, digits and hyphens once converted to A-labels;
 * - a domain that is not already in a canonical form (`ｅｘａｍｐｌｅ.com`, `example。com`,
 *   `0x7f.1`): IDNA would map them to another name, and the name we checked must be the name
 *   we route to;
 * - an all-numeric last label (`user@127.0.0.1`: an IP address without brackets).
 *
 * `%` and `!` in the local part are not routing to us: they are the business of the domain's
 * own server, so they do not make an address invalid.
 */
export function recipientTarget(address: string): RecipientTarget {
  const at = address.lastIndexOf('@');
  if (at === -1) return address.length > 0 && !/[@:\s]/.test(address) ? { kind: 'no-domain' } : { kind: 'invalid', reason: 'no domain' };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.includes('@')) return { kind: 'invalid', reason: 'more than one @' };
  if (local.length === 0) return { kind: 'invalid', reason: 'empty local part' };
  if (local.startsWith('@') || /^[^"]*:/.test(local)) return { kind: 'invalid', reason: 'source route' };
  if (domain.startsWith('[')) return { kind: 'literal' };
  if (domain.length === 0) return { kind: 'invalid', reason: 'empty domain' };
  if (domain.endsWith('.')) return { kind: 'invalid', reason: 'trailing dot in domain' };

  const ascii = domainToASCII(domain);
  if (!ascii) return { kind: 'invalid', reason: 'not a valid domain name' };
  const unicode = domainToUnicode(ascii);
  // An A-label that does not decode is left as it is by domainToUnicode (Node 24.21 no longer
  // refuses it in domainToASCII): a label still starting with xn-- is no A-label (RFC 5890 2.3.2.1).
  if (unicode.split('.').some((label) => label.startsWith('xn--'))) return { kind: 'invalid', reason: 'not a valid domain name' };
  const written = domain.normalize('NFC').toLowerCase();
  if (written !== ascii && written !== unicode) return { kind: 'invalid', reason: 'domain not in canonical form' };
  if (ascii.length > 253) return { kind: 'invalid', reason: 'domain too long' };
  const labels = ascii.split('.');
  if (!labels.every((label) => LABEL.test(label))) return { kind: 'invalid', reason: 'bad label in domain' };
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { kind: 'invalid', reason: 'numeric top-level label' };
  return { kind: 'domain', local, ascii, unicode };
}

/** Whether a local part needs SMTPUTF8 (RFC 6531) to be sent on. */
export function isAsciiLocalPart(local: string): boolean {
  return /^[\x00-\x7f]*$/.test(local);
}
