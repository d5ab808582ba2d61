import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPartial, extractSection, formatSection, parseSection, type SectionSpec } from '../src/message/section.ts';
import { parseStructure } from '../src/message/structure.ts';
import { ALTERNATIVE, BARE_LF, FORWARD, MIXED, NO_SEPARATOR, SIMPLE, crlf } from './message-fixtures.ts';

function section(raw: Buffer, text: string): string {
  const spec = parseSection(text);
  assert.ok(!('error' in spec), `section ${text} should parse`);
  return extractSection(raw, parseStructure(raw), spec).toString('utf8');
}

test('parseSection: the RFC 9051 section-spec forms', () => {
  assert.deepEqual(parseSection(''), { part: [], text: null, fields: [] });
  assert.deepEqual(parseSection('header'), { part: [], text: 'HEADER', fields: [] });
  assert.deepEqual(parseSection('TEXT'), { part: [], text: 'TEXT', fields: [] });
  assert.deepEqual(parseSection('1.2'), { part: [1, 2], text: null, fields: [] });
  assert.deepEqual(parseSection('1.2.MIME'), { part: [1, 2], text: 'MIME', fields: [] });
  assert.deepEqual(parseSection('3.HEADER'), { part: [3], text: 'HEADER', fields: [] });
  assert.deepEqual(parseSection('3.TEXT'), { part: [3], text: 'TEXT', fields: [] });
  assert.deepEqual(parseSection('HEADER.FIELDS (FROM To)'), { part: [], text: 'HEADER.FIELDS', fields: ['FROM', 'To'] });
  assert.deepEqual(parseSection('2.header.fields.not ("X-Spam" Received)'), {
    part: [2],
    text: 'HEADER.FIELDS.NOT',
    fields: ['X-Spam', 'Received'],
  });
  assert.deepEqual(parseSection('2', true), { part: [2], text: null, fields: [] });
});

test('parseSection rejects what the grammar does not allow', () => {
  for (const bad of ['MIME', '0', '1.0', '01', '1.', '.1', 'HEADER.FIELDS', 'HEADER.FIELDS ()', 'HEADER.FIELDS (A', 'BOGUS', '1.TEXTX', 'TEXT ', '1.2.3x', 'HEADER.FIELDS (A:B)', '99999999999']) {
    assert.ok('error' in parseSection(bad), `${bad} should be refused`);
  }
  assert.ok('error' in parseSection('HEADER', true));
  assert.ok('error' in parseSection('1.MIME', true));
});

test('formatSection: keywords upper case, field names as sent', () => {
  const format = (text: string): string => formatSection(parseSection(text) as SectionSpec);
  assert.equal(format('1.2.mime'), '1.2.MIME');
  assert.equal(format('header.fields (From to)'), 'HEADER.FIELDS (From to)');
  assert.equal(format('4.HEADER.FIELDS.NOT ("a b")'), '4.HEADER.FIELDS.NOT ("a b")');
  assert.equal(format(''), '');
});

test('whole message, HEADER with its blank line, TEXT', () => {
  const raw = SIMPLE.toString('utf8');
  const split = raw.indexOf('\r\n\r\n') + 4;
  assert.equal(section(SIMPLE, ''), raw);
  assert.equal(section(SIMPLE, 'HEADER'), raw.slice(0, split));
  assert.equal(section(SIMPLE, 'TEXT'), raw.slice(split));
  assert.equal(section(SIMPLE, '1'), raw.slice(split), 'part 1 of a non-multipart message is its body');
  assert.equal(section(SIMPLE, '1.MIME'), raw.slice(0, split));
  assert.equal(section(SIMPLE, '2'), '');
  assert.equal(section(SIMPLE, '1.1'), '', 'a leaf part has no part 1');
  assert.equal(section(SIMPLE, '1.TEXT'), '', 'TEXT needs a message/rfc822 part');
});

test('HEADER.FIELDS: matching lines in message order, folding kept, blank line added', () => {
  assert.equal(section(SIMPLE, 'HEADER.FIELDS (subject FROM)'), 'From: Alice Example <alice@example.org>\r\nSubject: Lunch\r\n  tomorrow?\r\n\r\n');
  assert.equal(section(SIMPLE, 'HEADER.FIELDS (X-Nothing)'), '\r\n');
  assert.equal(
    section(SIMPLE, 'HEADER.FIELDS.NOT (Return-Path Received Subject Date From To)'),
    'Message-ID: <lunch-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
  );
  const repeated = crlf('Received: a', 'Subject: s', 'Received: b', '', 'x');
  assert.equal(section(repeated, 'HEADER.FIELDS (RECEIVED)'), 'Received: a\r\nReceived: b\r\n\r\n');
  assert.equal(section(NO_SEPARATOR, 'HEADER.FIELDS (Subject)'), 'Subject: only headers\r\n\r\n');
  assert.equal(section(Buffer.from('Subject: eof'), 'HEADER.FIELDS (Subject)'), 'Subject: eof\r\n\r\n');
  assert.equal(section(BARE_LF, 'HEADER.FIELDS (To)'), 'To: Bob <bob@example.com>\n\r\n');
});

test('multipart parts, MIME headers, nonexistent parts', () => {
  assert.equal(section(ALTERNATIVE, '1'), 'Sale: 10 off.');
  assert.equal(section(ALTERNATIVE, '2'), '<p>Sale: =E2=82=AC10 off, =\r\ntoday only.</p>');
  assert.equal(section(ALTERNATIVE, '2.MIME'), 'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  assert.equal(section(ALTERNATIVE, '3'), '');
  assert.equal(section(ALTERNATIVE, '1.1'), '');
  assert.equal(section(ALTERNATIVE, '2.HEADER'), '');
  assert.equal(section(MIXED, '2'), 'AAEC\r\nAwBm');
  assert.ok(section(ALTERNATIVE, 'TEXT').startsWith('This is a multi-part message in MIME format.\r\n--alt-boundary\r\n'));
});

test('message/rfc822 parts: the body is the whole message, HEADER/TEXT/n reach inside', () => {
  const forwarded = FORWARD.toString('utf8');
  const innerStart = forwarded.indexOf('From: Judy');
  const innerEnd = forwarded.indexOf('\r\n--outer--');
  const inner = forwarded.slice(innerStart, innerEnd);
  assert.equal(section(FORWARD, '2'), inner);
  assert.equal(Buffer.byteLength(inner), 342, 'matches the BODYSTRUCTURE size');
  assert.equal(section(FORWARD, '2.MIME'), 'Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n');
  assert.equal(section(FORWARD, '2.HEADER'), inner.slice(0, inner.indexOf('\r\n\r\n') + 4));
  assert.equal(section(FORWARD, '2.TEXT'), inner.slice(inner.indexOf('\r\n\r\n') + 4));
  assert.equal(section(FORWARD, '2.HEADER.FIELDS (Subject)'), 'Subject: Original\r\n\r\n');
  assert.equal(section(FORWARD, '2.1'), 'Original text.');
  assert.equal(section(FORWARD, '2.2'), '<b>Original</b>');
  assert.equal(section(FORWARD, '2.2.MIME'), 'Content-Type: text/html\r\n\r\n');
  assert.equal(section(FORWARD, '2.3'), '');
  assert.equal(section(FORWARD, '1.HEADER'), '');
});

test('a message/rfc822 around a single-part message: n.1 is the inner body', () => {
  const raw = crlf('Content-Type: multipart/mixed; boundary=m', '', '--m', 'Content-Type: message/rfc822', '', 'Subject: in', '', 'inner body', '--m--');
  assert.equal(section(raw, '1'), 'Subject: in\r\n\r\ninner body');
  assert.equal(section(raw, '1.1'), 'inner body');
  assert.equal(section(raw, '1.1.MIME'), 'Subject: in\r\n\r\n');
  assert.equal(section(raw, '1.2'), '');
  assert.equal(section(raw, '1.1.1'), '');
});

test('applyPartial', () => {
  const buf = Buffer.from('0123456789');
  assert.equal(applyPartial(buf, 0, 4).toString(), '0123');
  assert.equal(applyPartial(buf, 8, 10).toString(), '89');
  assert.equal(applyPartial(buf, 10, 1).toString(), '');
  assert.equal(applyPartial(buf, 99, 1).toString(), '');
  assert.equal(applyPartial(buf, 3).toString(), '3456789');
});
