import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelope } from '../src/message/envelope.ts';
import { parseAddressList } from '../src/message/addresses.ts';
import { parseStructure } from '../src/message/structure.ts';
import { ALTERNATIVE, BARE_LF, FORWARD, GROUPS, MALFORMED, MIXED, NO_SEPARATOR, SIMPLE, crlf, serialise } from './message-fixtures.ts';

const env = (raw: Buffer): string => serialise(envelope(parseStructure(raw)));

test('ENVELOPE of a simple message: folded subject unfolded, sender and reply-to default to from', () => {
  assert.equal(
    env(SIMPLE),
    '("Tue, 2 Jan 2024 10:00:00 +0000" "Lunch  tomorrow?" (("Alice Example" NIL "alice" "example.org")) ' +
      '(("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) ' +
      '(("Bob" NIL "bob" "example.com")) NIL NIL NIL "<lunch-1@example.org>")',
  );
  assert.equal(env(BARE_LF), env(SIMPLE));
});

test('ENVELOPE keeps encoded-words raw and unquotes display names', () => {
  assert.equal(
    env(ALTERNATIVE),
    '("Wed, 3 Jan 2024 08:30:00 +0100" "=?utf-8?q?Sale_=E2=82=AC10_off?=" (("Example, Shop" NIL "news" "shop.example")) ' +
      '(("Example, Shop" NIL "news" "shop.example")) (("Example, Shop" NIL "news" "shop.example")) ' +
      '((NIL NIL "carol" "example.net")) NIL NIL NIL "<alt-2@shop.example>")',
  );
});

test('ENVELOPE with several To addresses and a Cc whose quoted name holds parentheses', () => {
  assert.equal(
    env(MIXED),
    '("Thu, 4 Jan 2024 12:00:00 -0500" "Report attached" (("Dave" NIL "dave" "example.com")) ' +
      '(("Dave" NIL "dave" "example.com")) (("Dave" NIL "dave" "example.com")) ' +
      '(("Erin" NIL "erin" "example.com")(NIL NIL "frank" "example.com")) (("Grace (ops)" NIL "grace" "example.com")) NIL NIL "<mixed-3@example.com>")',
  );
});

test('ENVELOPE groups, comment names, empty Reply-To, route dropped, phrase with a period', () => {
  assert.equal(
    env(GROUPS),
    '(NIL "groups" (("Doe, John" NIL "john.doe" "example.com")) (("Sue Secretary" NIL "secretary" "example.com")) ' +
      '(("Doe, John" NIL "john.doe" "example.com")) ' +
      '((NIL NIL "Team" NIL)(NIL NIL "alice" "example.org")("Bob B." NIL "bob" "example.com")(NIL NIL NIL NIL)(NIL NIL "carol" "example.net")) ' +
      '((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) (("John Q. Public" NIL "jqp" "example.com")) NIL NIL)',
  );
});

test('ENVELOPE of malformed addresses never has a NIL host outside groups', () => {
  assert.equal(
    env(MALFORMED),
    '(NIL "broken" ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ' +
      '((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ' +
      '((NIL NIL "just a name" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "example.com")(NIL NIL "user" "MISSING_DOMAIN")(NIL NIL "unterminated" "MISSING_DOMAIN"))' +
      ' NIL NIL NIL NIL)',
  );
});

test('ENVELOPE with only some headers, and of an encapsulated message', () => {
  assert.equal(
    env(NO_SEPARATOR),
    '(NIL "only headers" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL)',
  );
  assert.equal(env(crlf('', 'body only')), '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
  const inner = parseStructure(FORWARD).children[1]!.message!;
  assert.equal(
    serialise(envelope(inner)),
    '("Mon, 1 Jan 2024 09:00:00 +0000" "Original" (("Judy" NIL "judy" "example.org")) (("Judy" NIL "judy" "example.org")) ' +
      '(("Judy" NIL "judy" "example.org")) (("Heidi" NIL "heidi" "example.com")) NIL NIL NIL "<orig@example.org>")',
  );
});

test('ENVELOPE: empty Subject is an empty string, In-Reply-To kept raw, Sender present wins', () => {
  const raw = crlf(
    'From: a@example.com',
    'Sender: b@example.com',
    'Subject:',
    'In-Reply-To: <x@example.com> (comment)',
    '',
    '',
  );
  assert.equal(
    env(raw),
    '(NIL "" ((NIL NIL "a" "example.com")) ((NIL NIL "b" "example.com")) ((NIL NIL "a" "example.com")) NIL NIL NIL "<x@example.com> (comment)" NIL)',
  );
});

test('address lists: quoted local parts, domain literals, escapes, nested comments, trailing junk', () => {
  assert.deepEqual(parseAddressList('"john doe"@example.com, user@[192.0.2.1]'), [
    { kind: 'mailbox', name: null, mailbox: 'john doe', host: 'example.com' },
    { kind: 'mailbox', name: null, mailbox: 'user', host: '[192.0.2.1]' },
  ]);
  assert.deepEqual(parseAddressList('"A \\"quoted\\" name" <a@b.example> junk, x@y.example (outer (inner) text)'), [
    { kind: 'mailbox', name: 'A "quoted" name', mailbox: 'a', host: 'b.example' },
    { kind: 'mailbox', name: 'outer (inner) text', mailbox: 'x', host: 'y.example' },
  ]);
  assert.deepEqual(parseAddressList('=?utf-8?q?J=C3=B6rg?= <joerg@example.de>'), [
    { kind: 'mailbox', name: '=?utf-8?q?J=C3=B6rg?=', mailbox: 'joerg', host: 'example.de' },
  ]);
  assert.deepEqual(parseAddressList('first . last @ example . com'), [
    { kind: 'mailbox', name: null, mailbox: 'first.last', host: 'example.com' },
  ]);
  assert.deepEqual(parseAddressList('Unclosed group: a@b.example'), [
    { kind: 'group-start', name: 'Unclosed group' },
    { kind: 'mailbox', name: null, mailbox: 'a', host: 'b.example' },
    { kind: 'group-end' },
  ]);
  assert.deepEqual(parseAddressList('<a@b.example'), [{ kind: 'mailbox', name: null, mailbox: 'a', host: 'b.example' }]);
  assert.deepEqual(parseAddressList('@@@'), [{ kind: 'mailbox', name: null, mailbox: 'INVALID_ADDRESS', host: 'MISSING_DOMAIN' }]);
  assert.deepEqual(parseAddressList(''), []);
});
