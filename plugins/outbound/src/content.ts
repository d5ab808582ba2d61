import { isAscii } from 'node:buffer';
import type { Envelope } from '@posthorn/contracts';

/** What a message asks of the remote server beyond plain 7-bit SMTP. */
export interface ContentNeeds {
  /** Bytes above 127 anywhere: the remote must offer 8BITMIME (RFC 6152). */
  readonly eightBit: boolean;
  /** Non-ASCII envelope addresses: the remote must offer SMTPUTF8 (RFC 6531). */
  readonly utf8Addresses: boolean;
  /** The sender asked for SMTPUTF8 (UTF-8 in the header): it is passed on, and needed. */
  readonly utf8Requested: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;

export function contentNeeds(envelope: Envelope, recipients: readonly string[], message: Buffer): ContentNeeds {
  return {
    eightBit: !isAscii(message),
    utf8Addresses: NON_ASCII.test(envelope.mailFrom) || recipients.some((address) => NON_ASCII.test(address)),
    utf8Requested: Object.hasOwn(envelope.mailFromParams, 'SMTPUTF8'),
  };
}
