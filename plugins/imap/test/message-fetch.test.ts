import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Arg } from '../src/protocol/values.ts';
import { needsMessage, parseFetchItems, responseName, setsSeen, type FetchItem } from '../src/message/fetch-items.ts';
import { fetchValue, formatInternalDate } from '../src/message/fetch-values.ts';
import { parseStructure } from '../src/message/structure.ts';
import { FORWARD, MIXED, SIMPLE, crlf, serialise } from './message-fixtures.ts';

const atom = (value: string): Arg => ({ kind: 'atom', value });
const list = (...values: string[]): Arg => ({ kind: 'list', items: values.map(atom) });

function items(arg: Arg): FetchItem[] {
  const parsed = parseFetchItems([arg]);
  assert.ok(Array.isArray(parsed), `expected items, got ${JSON.stringify(parsed)}`);
  return parsed;
}

test('macros expand; single atoms and lists parse', () => {
  assert.deepEqual(items(atom('all')).map((i) => i.kind), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE']);
  assert.deepEqual(items(atom('FAST')).map((i) => i.kind), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE']);
  assert.deepEqual(items(atom('Full')).map((i) => i.kind), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY']);
  assert.deepEqual(items(atom('uid')), [{ kind: 'UID' }]);
  assert.deepEqual(
    items(list('FLAGS', 'UID', 'MODSEQ', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'RFC822.SIZE', 'BODY', 'BODYSTRUCTURE', 'ENVELOPE', 'INTERNALDATE')).map((i) => i.kind),
    ['FLAGS', 'UID', 'MODSEQ', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'RFC822.SIZE', 'BODY', 'BODYSTRUCTURE', 'ENVELOPE', 'INTERNALDATE'],
  );
});

test('section items keep their section and partial range', () => {
  assert.deepEqual(items(atom('BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>')), [
    {
      kind: 'BODY[]',
      peek: true,
      section: { part: [], text: 'HEADER.FIELDS', fields: ['FROM', 'TO'] },
      partial: { origin: 0, count: 100 },
    },
  ]);
  assert.deepEqual(items(atom('body[1.2]')), [{ kind: 'BODY[]', peek: false, section: { part: [1, 2], text: null, fields: [] }, partial: null }]);
  assert.deepEqual(items(atom('BINARY.PEEK[1]<5.10>')), [
    { kind: 'BINARY[]', peek: true, section: { part: [1], text: null, fields: [] }, partial: { origin: 5, count: 10 } },
  ]);
  assert.deepEqual(items(atom('BINARY.SIZE[2]')), [{ kind: 'BINARY.SIZE[]', section: { part: [2], text: null, fields: [] } }]);
});

test('invalid attribute arguments are errors', () => {
  const bad: Arg[][] = [
    [atom('BOGUS')],
    [list('FLAGS', 'ALL')],
    [list()],
    [atom('BODY[')],
    [atom('BODY[HEADER]<0>')],
    [atom('BODY[]<0.0>')],
    [atom('BODY[]<1.2.3>')],
    [atom('BINARY[HEADER]')],
    [atom('BINARY.SIZE[1]<0.10>')],
    [atom('BODY.PEEK')],
    [{ kind: 'string', value: Buffer.from('FLAGS'), literal: false }],
    [atom('FLAGS'), atom('UID')],
    [],
    [{ kind: 'list', items: [list('FLAGS')] }],
  ];
  for (const args of bad) assert.ok('error' in parseFetchItems(args), JSON.stringify(args));
});

test('which items set \\Seen and which need the message bytes', () => {
  const seen = (text: string): boolean => setsSeen(items(atom(text))[0]!);
  assert.equal(seen('BODY[]'), true);
  assert.equal(seen('BODY[TEXT]<0.10>'), true);
  assert.equal(seen('BODY.PEEK[]'), false);
  assert.equal(seen('RFC822'), true);
  assert.equal(seen('RFC822.TEXT'), true);
  assert.equal(seen('RFC822.HEADER'), false);
  assert.equal(seen('BINARY[1]'), true);
  assert.equal(seen('BINARY.PEEK[1]'), false);
  assert.equal(seen('BINARY.SIZE[1]'), false);
  assert.equal(seen('ENVELOPE'), false);
  assert.equal(needsMessage({ kind: 'FLAGS' }), false);
  assert.equal(needsMessage({ kind: 'RFC822.SIZE' }), false);
  assert.equal(needsMessage({ kind: 'ENVELOPE' }), true);
});

test('response names', () => {
  const name = (text: string): string => responseName(items(atom(text))[0]!);
  assert.equal(name('BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>'), 'BODY[HEADER.FIELDS (FROM TO)]<0>');
  assert.equal(name('body.peek[]'), 'BODY[]');
  assert.equal(name('BODY[1.2.mime]'), 'BODY[1.2.MIME]');
  assert.equal(name('BINARY.PEEK[1]<7.3>'), 'BINARY[1]<7>');
  assert.equal(name('BINARY.SIZE[2]'), 'BINARY.SIZE[2]');
  assert.equal(name('rfc822.header'), 'RFC822.HEADER');
  assert.equal(name('bodystructure'), 'BODYSTRUCTURE');
});

function value(raw: Buffer, text: string): ReturnType<typeof fetchValue> {
  return fetchValue(items(atom(text))[0]!, raw, parseStructure(raw));
}

test('values of message items', () => {
  const raw = SIMPLE.toString('utf8');
  const split = raw.indexOf('\r\n\r\n') + 4;
  assert.equal(value(SIMPLE, 'RFC822.SIZE'), SIMPLE.length);
  assert.equal(value(SIMPLE, 'RFC822'), SIMPLE);
  assert.deepEqual(value(SIMPLE, 'RFC822.HEADER'), Buffer.from(raw.slice(0, split)));
  assert.deepEqual(value(SIMPLE, 'RFC822.TEXT'), Buffer.from(raw.slice(split)));
  assert.deepEqual(value(SIMPLE, 'BODY[]<0.9>'), Buffer.from('Return-Pa'));
  assert.deepEqual(value(SIMPLE, 'BODY.PEEK[TEXT]<3.4>'), Buffer.from('Bob,'));
  assert.deepEqual(value(SIMPLE, 'BODY[TEXT]<100000.4>'), Buffer.alloc(0));
  assert.deepEqual(value(SIMPLE, 'BODY[5]'), Buffer.alloc(0));
  assert.equal(serialise(value(SIMPLE, 'BODY') as never), '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "8BIT" 59 5)');
  assert.equal(serialise(value(SIMPLE, 'BODYSTRUCTURE') as never), '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "8BIT" 59 5 NIL NIL NIL NIL)');
  assert.ok(serialise(value(SIMPLE, 'ENVELOPE') as never).startsWith('("Tue, 2 Jan 2024 10:00:00 +0000" "Lunch  tomorrow?" '));
  for (const meta of ['FLAGS', 'UID', 'INTERNALDATE', 'MODSEQ']) assert.equal(value(SIMPLE, meta), undefined);
});

test('BINARY: decoded content, literal8 when it holds NUL, sizes, partial after decoding', () => {
  assert.deepEqual(value(MIXED, 'BINARY[2]'), { literal8: Buffer.from([0, 1, 2, 3, 0, 0x66]) });
  assert.equal(value(MIXED, 'BINARY.SIZE[2]'), 6);
  assert.deepEqual(value(MIXED, 'BINARY.PEEK[2]<5.10>'), Buffer.from('f'));
  assert.deepEqual(value(MIXED, 'BINARY[1]'), Buffer.from('See attached.'));
  assert.equal(value(MIXED, 'BINARY.SIZE[1]'), 13);
  assert.deepEqual(value(MIXED, 'BINARY[]'), MIXED, 'a multipart message is its own decoding');
  assert.deepEqual(value(MIXED, 'BINARY[9]'), Buffer.alloc(0));
  assert.equal(value(FORWARD, 'BINARY.SIZE[2.2]'), 15);

  const qp = crlf('Content-Transfer-Encoding: quoted-printable', '', 'caf=C3=A9=', '');
  assert.deepEqual(value(qp, 'BINARY[1]'), Buffer.from('caf\u00e9'));
  assert.deepEqual(value(qp, 'BINARY[]'), Buffer.from('Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf\u00e9'));

  const unknown = crlf('Content-Transfer-Encoding: x-uuencode', '', 'begin 644 x');
  assert.deepEqual(value(unknown, 'BINARY[1]'), { error: 'UNKNOWN-CTE', text: 'Unknown Content-Transfer-Encoding: x-uuencode' });
  assert.equal((value(unknown, 'BINARY.SIZE[1]') as { error: string }).error, 'UNKNOWN-CTE');
});

test('formatInternalDate: IMAP date-time in UTC', () => {
  assert.equal(formatInternalDate(new Date('1996-07-17T09:44:25Z')), '17-Jul-1996 09:44:25 +0000');
  assert.equal(formatInternalDate(new Date('2024-01-05T00:00:09-0500')), '05-Jan-2024 05:00:09 +0000');
  assert.equal(formatInternalDate(new Date(Number.NaN)), '01-Jan-1970 00:00:00 +0000');
});
