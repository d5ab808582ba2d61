/**
 * The ENVELOPE fetch item (RFC 9051 7.5.2, RFC 3501 7.4.2): ten header-derived fields, raw
 * (not RFC 2047 decoded), NIL when absent.
 */

import type { ImapValue } from '../protocol/values.ts';
import { parseAddressList, type AddressItem } from './addresses.ts';
import { headerValue } from './headers.ts';
import type { MimePart } from './structure.ts';

/** The ENVELOPE of a message (the root part, or the encapsulated message of a message/rfc822 part). */
export function envelope(part: MimePart): ImapValue {
  const text = (name: string): string | null => headerValue(part, name) ?? null;
  const from = addresses(part, 'from');
  return [
    text('date'),
    text('subject'),
    from,
    // RFC 3501: absent or empty Sender and Reply-To take the value of From.
    addresses(part, 'sender') ?? from,
    addresses(part, 'reply-to') ?? from,
    addresses(part, 'to'),
    addresses(part, 'cc'),
    addresses(part, 'bcc'),
    text('in-reply-to'),
    text('message-id'),
  ];
}

/** An address list as ENVELOPE writes it, or null (NIL) when the header is absent or empty. */
function addresses(part: MimePart, name: string): ImapValue[] | null {
  const value = headerValue(part, name);
  if (value === undefined) return null;
  const items = parseAddressList(value);
  return items.length > 0 ? items.map(addressValue) : null;
}

function addressValue(item: AddressItem): ImapValue {
  switch (item.kind) {
    case 'mailbox':
      return [item.name, null, item.mailbox, item.host];
    case 'group-start':
      return [null, null, item.name, null];
    case 'group-end':
      return [null, null, null, null];
  }
}
