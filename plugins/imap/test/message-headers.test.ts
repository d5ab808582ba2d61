import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEncodedWords, headerValue, headerValues } from '../src/message/headers.ts';
import { parseStructure } from '../src/message/structure.ts';
import { FORWARD, crlf } from './message-fixtures.ts';

test('headerValues: all occurrences, unfolded, case-insensitive; headerValue: the first', () => {
  const root = parseStructure(crlf('Received: from a', '  by b', 'Subject: s', 'RECEIVED: from c', '', 'body'));
  assert.deepEqual(headerValues(root, 'received'), ['from a  by b', 'from c']);
  assert.deepEqual(headerValues(root, 'X-None'), []);
  assert.equal(headerValue(root, 'SUBJECT'), 's');
  assert.equal(headerValue(root, 'x-none'), undefined);
  const inner = parseStructure(FORWARD).children[1]!.message!;
  assert.equal(headerValue(inner, 'subject'), 'Original');
});

test('decodeEncodedWords: B and Q, charsets, blanks between words dropped', () => {
  assert.equal(decodeEncodedWords('=?utf-8?q?Sale_=E2=82=AC10_off?='), 'Sale \u20ac10 off');
  assert.equal(decodeEncodedWords('=?UTF-8?B?SsO2cmc=?= <joerg@example.de>'), 'J\u00f6rg <joerg@example.de>');
  assert.equal(decodeEncodedWords('=?iso-8859-1?q?caf=E9?= au lait'), 'caf\u00e9 au lait');
  assert.equal(decodeEncodedWords('=?windows-1252?Q?=80?='), '\u20ac');
  assert.equal(decodeEncodedWords('=?koi8-r?B?8NLJ18XU?='), '\u041f\u0440\u0438\u0432\u0435\u0442');
  assert.equal(decodeEncodedWords('=?utf-8?q?a?= =?utf-8?q?b?=\r\n =?utf-8?q?c?= d'), 'abc d');
  assert.equal(decodeEncodedWords('=?utf-8*en?q?lang?='), 'lang');
});

test('decodeEncodedWords: a multi-byte character split across two words survives', () => {
  // U+20AC is E2 82 AC; the first word carries E2 82, the second AC.
  assert.equal(decodeEncodedWords('=?utf-8?B?4oI=?= =?utf-8?B?rA==?='), '\u20ac');
  assert.equal(decodeEncodedWords('=?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?='), '\u20ac');
});

test('decodeEncodedWords: bad input is left as it is', () => {
  assert.equal(decodeEncodedWords('plain text'), 'plain text');
  assert.equal(decodeEncodedWords('=?x-unknown?q?abc?='), '=?x-unknown?q?abc?=');
  assert.equal(decodeEncodedWords('=?utf-8?q?bad=ZZ?= ok'), '=?utf-8?q?bad=ZZ?= ok');
  assert.equal(decodeEncodedWords('=?utf-8?b?***?='), '=?utf-8?b?***?=');
  assert.equal(decodeEncodedWords('=?utf-8?x?abc?='), '=?utf-8?x?abc?=');
  assert.equal(decodeEncodedWords('=?utf-8?q?unterminated'), '=?utf-8?q?unterminated');
  assert.equal(decodeEncodedWords('a =?utf-8?q?b?= c =?bad?q?d?= =?utf-8?q?e?='), 'a b c =?bad?q?d?= e');
});
