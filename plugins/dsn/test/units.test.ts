import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvelopeRecipient } from '@posthorn/contracts';
import { reply } from '@posthorn/core';
import { duration, wrap } from '../src/explanation.ts';
import { displayName, field } from '../src/header-fields.ts';
import { fileNameOf, noticeId } from '../src/ids.ts';
import { chooseBoundary, quotedPrintable, shapeOf } from '../src/mime.ts';
import { wantsFullReturn, wantsNotice } from '../src/notify.ts';
import { headerOf } from '../src/original.ts';
import { failureStatus, remoteMta, replyText } from '../src/status.ts';
import { printable, typedAddress, utf8AddrXtext } from '../src/text-safety.ts';
import { decodeQuotedPrintable } from './report-parser.ts';

/** queue-fs's rule for ids (plugins/queue-fs/src/format.ts). */
const QUEUE_FS_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

describe('NOTIFY and RET (RFC 3461)', () => {
  const rcpt = (NOTIFY?: string): EnvelopeRecipient => ({ address: 'a@b.test', params: NOTIFY === undefined ? {} : { NOTIFY } });
  it('defaults to FAILURE,DELAY without NOTIFY', () => {
    assert.deepEqual(['SUCCESS', 'FAILURE', 'DELAY'].map((k) => wantsNotice(rcpt(), k as 'SUCCESS')), [false, true, true]);
  });
  it('reads the listed kinds, case-insensitively; NEVER means none', () => {
    assert.deepEqual(['SUCCESS', 'FAILURE', 'DELAY'].map((k) => wantsNotice(rcpt('success, Delay'), k as 'SUCCESS')), [true, false, true]);
    assert.deepEqual(['SUCCESS', 'FAILURE', 'DELAY'].map((k) => wantsNotice(rcpt('NEVER'), k as 'SUCCESS')), [false, false, false]);
  });
  it('returns the whole message only for RET=FULL', () => {
    assert.equal(wantsFullReturn({ RET: 'full' }), true);
    assert.equal(wantsFullReturn({ RET: 'HDRS' }), false);
    assert.equal(wantsFullReturn({}), false);
  });
});

describe('status, diagnostic and remote MTA', () => {
  it('uses the reply code for failures, and for expiry the last specific temporary code', () => {
    assert.equal(failureStatus(reply(550, '5.1.1', 'x'), 'failed'), '5.1.1');
    assert.equal(failureStatus(reply(451, '4.4.1', 'x'), 'expired'), '4.4.1');
    assert.equal(failureStatus(reply(451, '4.0.0', 'x'), 'expired'), '4.4.7');
    assert.equal(failureStatus(reply(550, '5.0.0', 'x'), 'expired'), '4.4.7');
  });
  it('names a remote MTA only for host names and address literals', () => {
    assert.equal(remoteMta('mx1.example.org'), 'dns; mx1.example.org');
    assert.equal(remoteMta('[192.0.2.1]'), 'dns; [192.0.2.1]');
    assert.equal(remoteMta('[IPv6:2001:db8::1]'), 'dns; [IPv6:2001:db8::1]');
    for (const by of ['outbound', 'mailbox-maildir', undefined, '192.0.2.1', 'bad host.example', 'x'.repeat(300) + '.test']) assert.equal(remoteMta(by), undefined, String(by));
  });
  it('writes a reply as one printable line', () => {
    assert.equal(replyText(reply(550, '5.7.1', ['one', ' two ', 'drei – vier'])), '550 5.7.1 one two drei ? vier');
    assert.equal(printable('a\tb\x7fc😀'), 'a?b?c?');
  });
});

describe('addresses in delivery-status fields', () => {
  it('writes ASCII addresses as rfc822 and others as RFC 6533 utf-8 xtext', () => {
    assert.equal(typedAddress('bob@example.test'), 'rfc822; bob@example.test');
    assert.equal(typedAddress('"odd one"@example.test'), 'rfc822; "odd one"@example.test');
    assert.equal(typedAddress('jörg+x=y\\z@ex.test'), 'utf-8; j\\x{F6}rg\\x{2B}x\\x{3D}y\\x{5C}z@ex.test');
    assert.equal(utf8AddrXtext('😀@x'), '\\x{1F600}@x');
  });
});

describe('header fields', () => {
  it('folds long values at spaces; unfolding gives the value back', () => {
    const value = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const lines = field('Diagnostic-Code', value);
    assert.ok(lines.length > 1);
    for (const line of lines) assert.ok(line.length <= 78, line);
    for (const line of lines.slice(1)) assert.match(line, /^ \S/);
    assert.equal(lines.join('').slice('Diagnostic-Code: '.length), value);
  });
  it('cuts a word too long for one line, and refuses line breaks', () => {
    const lines = field('X', 'y'.repeat(5000));
    for (const line of lines) assert.ok(line.length <= 998);
    assert.equal(lines.join('').replace(/ /g, '').slice(2), 'y'.repeat(5000));
    assert.throws(() => field('X', 'a\r\nBcc: evil@x'), /line break/);
  });
  it('quotes display names that are not plain atoms', () => {
    assert.equal(displayName('Mail Delivery System'), 'Mail Delivery System');
    assert.equal(displayName('Post, "Master"'), '"Post, \\"Master\\""');
  });
});

describe('MIME pieces', () => {
  it('quoted-printable round-trips any bytes in lines of at most 76', () => {
    const data = Buffer.concat([
      Buffer.from(`Subject: Grüße =?x?= trailing space \r\nbare\nLF and bare\rCR\r\n${'ä'.repeat(200)}\r\n\ttab at end\t\r\n`, 'utf8'),
      Buffer.from([0, 1, 2, 255, 0x3d, 0x0d, 0x0a]),
    ]);
    const encoded = quotedPrintable(data);
    assert.ok(!/[^\x20-\x7e\r\n]/.test(encoded.replace(/\t/g, ' ')), '7-bit');
    assert.deepEqual(decodeQuotedPrintable(encoded), data);
    assert.ok(encoded.includes('space=20\r\n'), 'a space at the end of a line is encoded');
  });
  it('tells wire-safe and 8-bit content apart', () => {
    assert.deepEqual(shapeOf(Buffer.from('a\r\nb\r\n')), { wireSafe: true, eightBit: false });
    assert.deepEqual(shapeOf(Buffer.from('ü\r\n')), { wireSafe: true, eightBit: true });
    assert.equal(shapeOf(Buffer.from('a\nb')).wireSafe, false);
    assert.equal(shapeOf(Buffer.from('a\rb')).wireSafe, false);
    assert.equal(shapeOf(Buffer.from('a\0b')).wireSafe, false);
    assert.equal(shapeOf(Buffer.from(`${'x'.repeat(998)}\r\n`)).wireSafe, true);
    assert.equal(shapeOf(Buffer.from(`${'x'.repeat(999)}\r\n`)).wireSafe, false);
    assert.equal(shapeOf(Buffer.from('x'.repeat(999))).wireSafe, false);
  });
  it('draws a new boundary when the content contains the first one', () => {
    const draws = ['aaa', 'aaa', 'bbb'];
    const parts = [{ headers: [], body: Buffer.from('text with --=_posthorn_aaa inside') }];
    assert.equal(chooseBoundary(parts, () => draws.shift()!), '=_posthorn_bbb');
  });
  it('finds the header of a message, with CRLF or bare LF, with or without a body', () => {
    assert.equal(headerOf(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody\r\n')).toString(), 'A: 1\r\nB: 2\r\n');
    assert.equal(headerOf(Buffer.from('A: 1\nB: 2\n\nbody\n')).toString(), 'A: 1\nB: 2\n');
    assert.equal(headerOf(Buffer.from('A: 1\r\n')).toString(), 'A: 1\r\n');
    assert.equal(headerOf(Buffer.from('\r\nbody only\r\n')).length, 0);
  });
});

describe('notice ids', () => {
  it('derives a fixed id from the original one, valid for queue-fs', () => {
    assert.equal(noticeId('m0abc123', 'dsn-failure'), 'm0abc123.dsn-failure');
    assert.equal(noticeId('m0abc123', 'dsn-delay-3'), 'm0abc123.dsn-delay-3');
    assert.notEqual(noticeId('m0abc123', 'dsn-success-0'), noticeId('m0abc124', 'dsn-success-0'));
  });
  it('hashes ids that would not make a valid queue id, still deterministically', () => {
    for (const id of ['x'.repeat(195), '../etc', '.hidden', 'with space']) {
      const derived = noticeId(id, 'dsn-failure');
      assert.match(derived, QUEUE_FS_ID, id);
      assert.ok(!derived.endsWith('.tmp'));
      assert.equal(derived, noticeId(id, 'dsn-failure'));
      if (id.length < 100) assert.notEqual(fileNameOf(id), id, 'not a safe file name');
    }
  });
});

describe('the explanation text', () => {
  it('wraps at 72 columns and gives rough durations', () => {
    for (const line of wrap('word '.repeat(100), '    ')) assert.ok(line.length <= 72 && line.startsWith('    '));
    assert.equal(duration(30_000), 'less than a minute');
    assert.equal(duration(60_000), '1 minute');
    assert.equal(duration(5 * 3600_000 + 1), '5 hours');
    assert.equal(duration(49 * 3600_000), '2 days');
  });
});
