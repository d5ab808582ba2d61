import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalPattern, isDelimiterRequest, listMatcher, listMatcherAny } from '../src/mailbox/list-pattern.ts';

/** [reference, pattern, name, matches] */
const table: [string, string, string, boolean][] = [
  ['', '*', 'a', true],
  ['', '*', 'a/b/c', true],
  ['', '*', 'INBOX', true],
  ['', '%', 'a', true],
  ['', '%', 'a/b', false],
  ['', 'a/%', 'a/b', true],
  ['', 'a/%', 'a', false],
  ['', 'a/%', 'a/b/c', false],
  ['', 'a/*', 'a/b/c', true],
  ['', 'a/*', 'a', false],
  ['', 'a*', 'a', true],
  ['', 'a*', 'abc', true],
  ['', 'a*', 'a/b/c', true],
  ['', 'a*', 'ba', false],
  ['', 'a%', 'ab', true],
  ['', 'a%', 'a/b', false],
  ['', '%/%', 'a/b', true],
  ['', '%/%', 'a', false],
  ['', '%/%', 'a/b/c', false],
  ['', '*/b', 'a/b', true],
  ['', '*/b', 'x/y/b', true],
  ['', '*/b', 'b', false],
  ['', '%b', 'ab', true],
  ['', '%b', 'a/b', false],
  ['', '*b', 'a/b', true],
  ['', '%%', 'ab', true],
  ['', '%%', 'a/b', false],
  ['', '%*', 'a/b', true],
  ['', '*%', 'a/b', true],
  ['', 'a%c', 'abc', true],
  ['', 'a%c', 'ac', true],
  ['', 'a%c', 'a/c', false],
  ['', 'a*c', 'a/c', true],
  ['', 'a*c', 'a/cd', false],
  ['', 'abc', 'abc', true],
  ['', 'abc', 'abcd', false],
  ['', 'abc', 'ABC', false],
  ['', 'a.c', 'abc', false], // no regular expressions
  ['', 'a.c', 'a.c', true],
  ['', '(a)', '(a)', true],
  ['', 'a\\b', 'a\\b', true],
  // INBOX (and only INBOX) matches in any case, also as the first level.
  ['', 'inbox', 'INBOX', true],
  ['', 'InBox', 'INBOX', true],
  ['', 'inb*', 'INBOX', true],
  ['', 'inb%', 'INBOX', true],
  ['', 'inbox/%', 'INBOX/Sub', true],
  ['', 'inbox/sub', 'INBOX/Sub', false],
  ['', 'INBOX*', 'inboxer', false],
  ['', 'inbox*', 'inboxer', true],
  ['', 'inbox', 'inbox2', false],
  ['', 'Inbox', 'Inbox/x', false],
  ['', '\u0131nbox', 'INBOX', false],
  // The reference is prefixed.
  ['a/', '%', 'a/b', true],
  ['a/', '%', 'a', false],
  ['a/', '%', 'b', false],
  ['a/', '*', 'a/b/c', true],
  ['Archive', '/%', 'Archive/2020', true],
  ['Archive', '%', 'Archive2020', true],
  ['inbox/', '%', 'INBOX/x', true],
  ['~peter/mail/', '%', '~peter/mail/\u53f0\u5317', true],
  // Surrogate pairs.
  ['', '%', '\u{1f600}', true],
  ['', '\u{1f600}/%', '\u{1f600}/x', true],
  ['', '%/x', '\u{1f600}/x', true],
  // The empty pattern names no mailbox.
  ['', '', '', false],
  ['', '', 'INBOX', false],
  ['INBOX', '', 'INBOX', false],
];

test('pattern table', () => {
  for (const [reference, pattern, name, expected] of table) {
    assert.equal(listMatcher(reference, pattern)(name), expected, `LIST ${JSON.stringify(reference)} ${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`);
  }
});

test('a pattern built to make backtracking explode is answered', () => {
  const pattern = '*a'.repeat(40) + 'b';
  const matches = listMatcher('', pattern);
  assert.equal(matches('a'.repeat(250)), false);
  assert.equal(matches('a'.repeat(39) + 'b'), false);
  assert.equal(matches('a'.repeat(249) + 'b'), true);
  assert.equal(matches('a'.repeat(40) + 'b'), true);
  assert.equal(listMatcher('', '%a'.repeat(40) + 'b')('a/'.repeat(100) + 'b'), false);
});

test('several patterns match when any does', () => {
  const matches = listMatcherAny('', ['INBOX', 'Drafts', 'Sent/%', '']);
  assert.ok(matches('INBOX'));
  assert.ok(matches('Drafts'));
  assert.ok(matches('Sent/March'));
  assert.ok(!matches('Sent'));
  assert.ok(!matches('Sent/a/b'));
  assert.ok(!matches(''));
});

test('helpers', () => {
  assert.ok(isDelimiterRequest(''));
  assert.ok(!isDelimiterRequest('%'));
  assert.equal(canonicalPattern('a/', '%'), 'a/%');
});
