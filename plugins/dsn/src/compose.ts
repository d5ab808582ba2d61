/**
 * A whole notice: the multipart/report message (RFC 6522) with its three parts, and the
 * envelope that sends it from the null sender to the original sender.
 */
import type { Envelope } from '@posthorn/contracts';
import { rfc5322Date } from '@posthorn/core';
import { type RecipientReport, deliveryStatus } from './delivery-status.ts';
import { explanation, type NoticeType, subjectOf } from './explanation.ts';
import { displayName, field } from './header-fields.ts';
import { chooseBoundary, type MimePart, multipartBody } from './mime.ts';
import { returnedPart } from './original.ts';

export interface NoticeInput {
  readonly type: NoticeType;
  /** Queue id of the notice (ids.ts). */
  readonly id: string;
  readonly original: Envelope;
  /** The original message's bytes. */
  readonly message: Buffer;
  readonly reports: readonly RecipientReport[];
  readonly hostname: string;
  readonly from: { readonly name: string; readonly address: string };
  /** Return the whole message (RET=FULL on a failure notice), size permitting. */
  readonly returnFull: boolean;
  readonly maxReturnSize: number;
  readonly now: Date;
}

export interface Notice {
  readonly envelope: Envelope;
  readonly message: Buffer;
}

export function composeNotice(input: NoticeInput): Notice {
  const arrivalMs = Date.parse(input.original.receivedAt);
  const arrival = Number.isNaN(arrivalMs) ? undefined : new Date(arrivalMs);
  const returned = returnedPart(input.message, { full: input.returnFull, maxSize: input.maxReturnSize });
  const text: MimePart = {
    headers: ['Content-Type: text/plain; charset=us-ascii', 'Content-Description: Notification', 'Content-Transfer-Encoding: 7bit'],
    body: Buffer.from(
      explanation({ type: input.type, hostname: input.hostname, reports: input.reports, wholeMessage: returned.whole, arrival, now: input.now }),
      'latin1',
    ),
  };
  const status: MimePart = {
    headers: ['Content-Type: message/delivery-status', 'Content-Description: Delivery report', 'Content-Transfer-Encoding: 7bit'],
    body: deliveryStatus(input.hostname, input.original, input.reports),
  };
  const parts = [text, status, returned.part];
  const boundary = chooseBoundary(parts);

  const sender = input.original.mailFrom;
  // An internationalized sender address can only be written as UTF-8 (RFC 6532), which needs
  // SMTPUTF8 on the way; everything else in the header is ASCII.
  const utf8 = /[^\x00-\x7f]/.test(sender);
  const header = [
    ...field('From', `${displayName(input.from.name)} <${input.from.address}>`),
    ...field('To', `<${sender}>`),
    ...field('Subject', subjectOf(input.type)),
    ...field('Date', rfc5322Date(input.now)),
    ...field('Message-ID', `<${input.id}@${input.hostname}>`),
    // RFC 3834 5: an automatic message; well-behaved responders will not answer it.
    ...field('Auto-Submitted', 'auto-replied'),
    ...field('MIME-Version', '1.0'),
    ...field('Content-Type', `multipart/report; report-type=delivery-status; boundary="${boundary}"`),
    ...field('Content-Transfer-Encoding', returned.eightBit ? '8bit' : '7bit'),
  ];
  const message = Buffer.concat([Buffer.from(header.map((line) => `${line}\r\n`).join('') + '\r\n', 'utf8'), multipartBody(boundary, parts)]);

  const envelope: Envelope = {
    id: input.id,
    // The null reverse-path (RFC 5321 4.5.5): a notice is never answered by another notice.
    mailFrom: '',
    mailFromParams: { ...(returned.eightBit ? { BODY: '8BITMIME' } : {}), ...(utf8 ? { SMTPUTF8: '' } : {}) },
    recipients: [{ address: sender, params: {} }],
    receivedAt: input.now.toISOString(),
    origin: { listener: 'dsn', role: 'internal', remoteAddress: '', tls: false },
    notes: { dsn: { type: input.type, about: input.original.id } },
  };
  return { envelope, message };
}
