import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentClaims } from '../src/recent-claims.ts';

const INBOX = { user: 'alice', mailbox: 'INBOX', uidValidity: 7 };
const STARTED = new Date('2026-11-29T10:00:00.500Z');
const BEFORE = new Date('2026-11-29T09:59:59Z');
const AFTER = new Date('2026-11-29T10:05:00Z');

/** Messages with UIDs 1..n: the first `old` arrived before the process started, the rest after. */
function messages(n: number, old = n): { uid: number; internalDate: Date }[] {
  return Array.from({ length: n }, (_, i) => ({ uid: i + 1, internalDate: i < old ? BEFORE : AFTER }));
}

test('a mailbox opened for the first time: what arrived since the start is recent, older mail is not', () => {
  const claims = new RecentClaims(STARTED);
  assert.deepEqual(claims.open(INBOX, messages(5, 3), 6, true), [4, 5]);
  // The claiming session took them: the next one to open sees none.
  assert.deepEqual(claims.open(INBOX, messages(5, 3), 6, true), []);
  assert.deepEqual(claims.arrived(INBOX, [6, 7], true), [6, 7]);
});

test('the start is compared in whole seconds (stores may keep internal dates in seconds)', () => {
  const claims = new RecentClaims(STARTED);
  assert.deepEqual(claims.open(INBOX, [{ uid: 1, internalDate: new Date('2026-11-29T10:00:00Z') }], 2, true), [1]);
});

test('read-only opens see recent messages without taking them', () => {
  const claims = new RecentClaims(STARTED);
  assert.deepEqual(claims.open(INBOX, messages(2, 0), 3, false), [1, 2]);
  assert.deepEqual(claims.arrived(INBOX, [3], false), [3]);
  assert.equal(claims.count(INBOX, messages(3, 0), 4), 3);
  assert.deepEqual(claims.open(INBOX, messages(3, 0), 4, true), [1, 2, 3]);
  assert.equal(claims.count(INBOX, messages(3, 0), 4), 0);
  assert.deepEqual(claims.open(INBOX, messages(3, 0), 4, false), []);
});

test('of two sessions told of one arrival, only the first gets it as recent', () => {
  const claims = new RecentClaims(STARTED);
  claims.open(INBOX, [], 1, true);
  claims.open(INBOX, [], 1, true);
  assert.deepEqual(claims.arrived(INBOX, [1], true), [1]);
  assert.deepEqual(claims.arrived(INBOX, [1], true), []);
});

test('mailboxes, users and UIDVALIDITY values are kept apart; a STATUS count sets the baseline', () => {
  const claims = new RecentClaims(STARTED);
  claims.open(INBOX, messages(1, 0), 2, true);
  const recreated = { ...INBOX, uidValidity: 8 };
  assert.equal(claims.count(recreated, messages(2), 3), 0);
  assert.equal(claims.count(recreated, messages(3, 2), 4), 1);
  assert.deepEqual(claims.open({ ...INBOX, user: 'bob' }, messages(1, 0), 2, true), [1]);
});

test('the least recently used mailboxes are forgotten past the bound, and start afresh', () => {
  const claims = new RecentClaims(STARTED, 2);
  const box = (mailbox: string) => ({ ...INBOX, mailbox });
  claims.open(box('A'), messages(1, 0), 2, true);
  claims.open(box('B'), messages(1, 0), 2, true);
  // A is used again, so B is the one forgotten when C comes.
  assert.deepEqual(claims.open(box('A'), messages(1, 0), 2, true), []);
  claims.open(box('C'), messages(1, 0), 2, true);
  assert.deepEqual(claims.open(box('A'), messages(1, 0), 2, false), []);
  assert.deepEqual(claims.open(box('B'), messages(1, 0), 2, false), [1]);
});
