/**
 * Fixture messages for the message-*.test.ts files, shaped like real mail, and a small
 * serialiser that writes ImapValues the way they appear on the wire (RFC 9051 grammar: no
 * blank between the lists that open a list, as in `1*body` and `1*address`), so expectations
 * read like Dovecot transcripts.
 */

import type { ImapValue } from '../src/protocol/values.ts';

export function crlf(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

export function serialise(value: ImapValue): string {
  if (value === null) return 'NIL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, '\\$&')}"`;
  if (Buffer.isBuffer(value)) return `{${value.length}}\r\n${value.toString('latin1')}`;
  if (Array.isArray(value)) {
    // IMAP writes a leading run of lists without blanks (`1*body`, `1*address` in RFC 9051).
    let out = '(';
    let leadingLists = true;
    value.forEach((item: ImapValue, i: number) => {
      leadingLists &&= Array.isArray(item);
      if (i > 0 && !leadingLists) out += ' ';
      out += serialise(item);
    });
    return `${out})`;
  }
  const single = value as { atom: string } | { literal8: Buffer };
  if ('atom' in single) return single.atom;
  return `~{${single.literal8.length}}\r\n${single.literal8.toString('latin1')}`;
}

export const SIMPLE = crlf(
  'Return-Path: <alice@example.org>',
  'Received: from mx.example.org by mail.example.com; Tue, 2 Jan 2024 10:00:00 +0000',
  'Date: Tue, 2 Jan 2024 10:00:00 +0000',
  'From: Alice Example <alice@example.org>',
  'To: Bob <bob@example.com>',
  'Subject: Lunch',
  '  tomorrow?',
  'Message-ID: <lunch-1@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Hi Bob,',
  '',
  'Lunch tomorrow at noon? \u20ac5 each.',
  '-- ',
  'Alice',
  '',
);

export const ALTERNATIVE = crlf(
  'From: "Example, Shop" <news@shop.example>',
  'To: carol@example.net',
  'Subject: =?utf-8?q?Sale_=E2=82=AC10_off?=',
  'Date: Wed, 3 Jan 2024 08:30:00 +0100',
  'Message-ID: <alt-2@shop.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="alt-boundary"',
  '',
  'This is a multi-part message in MIME format.',
  '--alt-boundary',
  'Content-Type: text/plain; charset="us-ascii"',
  'Content-Transfer-Encoding: 7bit',
  '',
  'Sale: 10 off.',
  '--alt-boundary',
  'Content-Type: text/html; charset="utf-8"',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<p>Sale: =E2=82=AC10 off, =',
  'today only.</p>',
  '--alt-boundary--',
  'epilogue',
  '',
);

export const MIXED = crlf(
  'From: Dave <dave@example.com>',
  'To: Erin <erin@example.com>, frank@example.com',
  'Cc: "Grace (ops)" <grace@example.com>',
  'Subject: Report attached',
  'Date: Thu, 4 Jan 2024 12:00:00 -0500',
  'Message-ID: <mixed-3@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="----=_Part_1"',
  '',
  '------=_Part_1',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'See attached.',
  '------=_Part_1',
  'Content-Type: application/octet-stream; name="report.bin"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="report.bin"; size=6',
  'Content-ID: <part2@example.com>',
  'Content-Description: Binary report',
  'Content-Language: en, de',
  'Content-Location: http://example.com/report.bin',
  'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
  '',
  'AAEC',
  'AwBm',
  '------=_Part_1--',
  '',
);

export const FORWARD = crlf(
  'From: Heidi <heidi@example.com>',
  'To: Ivan <ivan@example.com>',
  'Subject: Fwd: Original',
  'Date: Fri, 5 Jan 2024 16:00:00 +0000',
  'Message-ID: <fwd-4@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary=outer',
  '',
  '--outer',
  'Content-Type: text/plain',
  '',
  'Forwarding this.',
  '--outer',
  'Content-Type: message/rfc822',
  'Content-Disposition: inline',
  '',
  'From: Judy <judy@example.org>',
  'To: Heidi <heidi@example.com>',
  'Subject: Original',
  'Date: Mon, 1 Jan 2024 09:00:00 +0000',
  'Message-ID: <orig@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary=inner',
  '',
  '--inner',
  'Content-Type: text/plain',
  '',
  'Original text.',
  '--inner',
  'Content-Type: text/html',
  '',
  '<b>Original</b>',
  '--inner--',
  '',
  '--outer--',
  '',
);

export const RFC2231 = crlf(
  'From: kim@example.com',
  'Subject: params',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary=b2231',
  '',
  '--b2231',
  'Content-Type: application/pdf;',
  " name*0*=utf-8''%E2%82%AC%20rate;",
  ' name*1*=s%20report;',
  ' name*2=".pdf"',
  'Content-Disposition: attachment;',
  " filename*=iso-8859-1'en'r%E9sum%E9.pdf",
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0xLjQK',
  '--b2231--',
  '',
);

export const GROUPS = crlf(
  'From: "Doe, John" <john.doe@example.com>',
  'Sender: secretary@example.com (Sue Secretary)',
  'Reply-To:',
  'To: Team: alice@example.org, "Bob B." <bob@example.com>;, carol@example.net',
  'Cc: undisclosed-recipients:;',
  'Bcc: John Q. Public <@relay.example,@mx.example:jqp@example.com>',
  'Subject: groups',
  '',
  'body',
  '',
);

export const MALFORMED = crlf(
  'From: <<<>>>',
  'To: just a name, @example.com, user@, "unterminated',
  'Cc: ,,, (only a comment) ,',
  'Subject: broken',
  'this line has no colon',
  'X-After: in the body now',
  '',
  'body',
  '',
);

export const NO_SEPARATOR = crlf('From: a@example.com', 'Subject: only headers', '');

export const BARE_LF = Buffer.from(SIMPLE.toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
