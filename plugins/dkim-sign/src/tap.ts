import { type HookFn, tempfail } from '@posthorn/core';
import { authorDomains } from './author-domains.ts';
import type { SigningKey } from './keys.ts';
import type { DkimSignOptions } from './options.ts';
import { isOutgoing } from '@posthorn/core';
import { signMessage } from './sign.ts';

/**
 * The `data` tap: signs outgoing mail with every key of its author domains and puts the
 * DKIM-Signature fields on top of the header. Mail of a domain without a key passes unsigned;
 * a signing failure is a temporary failure, so the client tries again instead of the message
 * leaving without the signature DMARC may need.
 */
export function signingTap(options: Pick<DkimSignOptions, 'outgoing' | 'canonicalization' | 'headers'>, keysFor: (domain: string) => readonly SigningKey[]): HookFn<'data'> {
  return async (tx, message) => {
    if (!isOutgoing(tx.session, options.outgoing)) return undefined;
    const domains = authorDomains(message.headers.getAll('From'));
    const keys = domains.flatMap((domain) => keysFor(domain));
    if (keys.length === 0) {
      tx.log.debug({ domains }, 'dkim-sign: no key for the From domain; not signed');
      return undefined;
    }
    let signatures: string[];
    try {
      signatures = await signMessage(message.toBuffer(), keys, { canonicalization: options.canonicalization, headers: options.headers });
    } catch (err) {
      tx.log.error({ err: (err as Error).message, keys: keys.map((k) => `${k.selector}._domainkey.${k.domain}`) }, 'dkim-sign: signing failed');
      return tempfail('4.3.0', 'Message could not be signed, please try again later');
    }
    // Prepending in reverse keeps the signatures in key order on top of the header.
    for (const value of [...signatures].reverse()) message.headers.prepend('DKIM-Signature', value);
    tx.log.info({ signatures: keys.map((k) => `${k.selector}._domainkey.${k.domain} ${k.algorithm}`) }, 'dkim-sign: signed');
    return undefined;
  };
}
