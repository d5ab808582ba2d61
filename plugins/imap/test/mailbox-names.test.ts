import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ancestorNames,
  checkMailboxName,
  isWithin,
  mailboxNameFromClient,
  mailboxNameToClient,
  MAX_MAILBOX_LEVELS,
  MAX_MAILBOX_NAME_BYTES,
} from '../src/mailbox/names.ts';

function nameOf(raw: string | Buffer, utf8 = false): string | undefined {
  const result = mailboxNameFromClient(raw, utf8);
  return 'name' in result ? result.name : undefined;
}

function errorOf(raw: string | Buffer, utf8 = false): string | undefined {
  const result = mailboxNameFromClient(raw, utf8);
  return 'error' in result ? result.error : undefined;
}

test('modified UTF-7 names are decoded unless UTF-8 was enabled', () => {
  assert.equal(nameOf('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), '~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e');
  assert.equal(nameOf('Tom &- Jerry'), 'Tom & Jerry');
  assert.equal(nameOf('&U,BTFw-', true), '&U,BTFw-');
  assert.equal(nameOf('\u53f0\u5317', true), '\u53f0\u5317');
  assert.equal(nameOf(Buffer.from('Entw\u00fcrfe'), true), 'Entw\u00fcrfe');
  assert.equal(nameOf(Buffer.from('Entw&APw-rfe')), 'Entw\u00fcrfe');
});

test('badly encoded names are refused', () => {
  assert.match(errorOf('&U,BTFw') ?? '', /modified UTF-7/);
  assert.match(errorOf('Entw\u00fcrfe') ?? '', /modified UTF-7/);
  assert.match(errorOf(Buffer.from('Entw\u00fcrfe')) ?? '', /modified UTF-7/);
  assert.match(errorOf(Buffer.from([0x61, 0xff, 0x62]), true) ?? '', /UTF-8/);
  assert.match(errorOf(Buffer.from([0x61, 0xc3]), true) ?? '', /UTF-8/);
  assert.ok(errorOf('a\ud800b', true));
  assert.ok(errorOf('a\ufffdb', true), 'U+FFFD marks text that was not UTF-8');
});

test('INBOX is case-insensitive, also as the first level', () => {
  assert.equal(nameOf('inbox'), 'INBOX');
  assert.equal(nameOf('InBoX'), 'INBOX');
  assert.equal(nameOf('INBOX'), 'INBOX');
  assert.equal(nameOf('inbox/Sub'), 'INBOX/Sub');
  assert.equal(nameOf('Inbox/inbox'), 'INBOX/inbox');
  assert.equal(nameOf('Sub/inbox'), 'Sub/inbox');
  assert.equal(nameOf('inbox2'), 'inbox2');
  assert.equal(nameOf('inboxes/x'), 'inboxes/x');
  // Dotless i upper-cases to I in Unicode, but is not the ASCII name INBOX.
  assert.equal(nameOf('\u0131nbox', true), '\u0131nbox');
});

test('names that cannot be mailboxes are refused', () => {
  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['a\0b', /control/],
    ['a\rb', /control/],
    ['a\nb', /control/],
    ['a&AAk-b', /control/],
    ['a&AH8-b', /control/],
    ['a&AIU-b', /control/],
    ['..', /"\.\." level/],
    ['a/../b', /"\.\." level/],
    ['a/..', /"\.\." level/],
    ['.', /"\." level/],
    ['a/./b', /"\." level/],
    ['/a', /starts with/],
    ['a/', /ends with/],
    ['/', /starts with/],
    ['a//b', /empty hierarchy level/],
    ['%', /wildcard/],
    ['a*', /wildcard/],
    ['a/%/b', /wildcard/],
    ['x'.repeat(MAX_MAILBOX_NAME_BYTES + 1), /longer/],
    ['\u00e9'.repeat(128), /longer/],
    [Array.from({ length: MAX_MAILBOX_LEVELS + 1 }, () => 'a').join('/'), /levels/],
  ];
  for (const [raw, reason] of refused) {
    const error = errorOf(raw, true) ?? errorOf(raw, false);
    assert.match(error ?? 'accepted', reason, JSON.stringify(raw));
    // The same refusal whichever encoding the client speaks (where raw is valid in both).
    if (!raw.includes('&') && /^[\x20-\x7e]*$/.test(raw)) assert.ok(errorOf(raw, false), JSON.stringify(raw));
  }
});

test('names at the limits are accepted', () => {
  assert.equal(nameOf('x'.repeat(MAX_MAILBOX_NAME_BYTES)), 'x'.repeat(MAX_MAILBOX_NAME_BYTES));
  const deep = Array.from({ length: MAX_MAILBOX_LEVELS }, () => 'a').join('/');
  assert.equal(nameOf(deep), deep);
  assert.equal(nameOf('a.b/.hidden/..x/x..'), 'a.b/.hidden/..x/x..');
  assert.equal(nameOf('with "quotes" and \\ backslash'), 'with "quotes" and \\ backslash');
});

test('a trailing delimiter is dropped only when asked to (CREATE)', () => {
  assert.deepEqual(mailboxNameFromClient('foo/', false, { allowTrailingDelimiter: true }), { name: 'foo' });
  assert.deepEqual(mailboxNameFromClient('inbox/foo/', false, { allowTrailingDelimiter: true }), { name: 'INBOX/foo' });
  assert.ok('error' in mailboxNameFromClient('foo//', false, { allowTrailingDelimiter: true }));
  assert.ok('error' in mailboxNameFromClient('/', false, { allowTrailingDelimiter: true }));
  assert.ok('error' in mailboxNameFromClient('foo/', false));
  assert.deepEqual(checkMailboxName('a/b/', { allowTrailingDelimiter: true }), { name: 'a/b' });
});

test('names go back to the client in its encoding', () => {
  assert.equal(mailboxNameToClient('~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e', false), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
  assert.equal(mailboxNameToClient('Tom & Jerry', false), 'Tom &- Jerry');
  assert.equal(mailboxNameToClient('Tom & Jerry', true), 'Tom & Jerry');
  assert.equal(mailboxNameToClient('\u53f0\u5317', true), '\u53f0\u5317');
});

test('hierarchy helpers', () => {
  assert.deepEqual(ancestorNames('a/b/c'), ['a', 'a/b']);
  assert.deepEqual(ancestorNames('a'), []);
  assert.ok(isWithin('a/b', 'a'));
  assert.ok(isWithin('a', 'a'));
  assert.ok(!isWithin('ab', 'a'));
  assert.ok(!isWithin('a', 'a/b'));
});
