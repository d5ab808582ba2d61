import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MailboxStatus } from '@posthorn/contracts';
import { atom, type Arg } from '../src/protocol/values.ts';
import { formatStatusItems, parseStatusItems, STATUS_ITEMS, statusNeeds } from '../src/mailbox/status-items.ts';

const a = (value: string): Arg => ({ kind: 'atom', value });
const l = (...items: Arg[]): Arg => ({ kind: 'list', items });

const status: MailboxStatus = { uidValidity: 1700000000, uidNext: 45, highestModseq: 9001, messages: 12, unseen: 3, size: 123456 };

test('STATUS item lists are parsed case-insensitively, without duplicates', () => {
  assert.deepEqual(parseStatusItems(l(a('MESSAGES'), a('uidnext'), a('UidValidity'))), ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY']);
  assert.deepEqual(parseStatusItems(l(a('UNSEEN'), a('unseen'), a('MESSAGES'))), ['UNSEEN', 'MESSAGES']);
  assert.deepEqual(parseStatusItems(l(...STATUS_ITEMS.map(a))), [...STATUS_ITEMS]);
});

test('malformed STATUS item lists are refused', () => {
  const refused: [Arg | undefined, RegExp][] = [
    [undefined, /list/],
    [a('MESSAGES'), /list/],
    [l(), /empty/],
    [l(a('MESSAGES'), a('BOGUS')), /Unknown STATUS item/],
    [l(a('MESSAGES'), l(a('UNSEEN'))), /atoms/],
    [l({ kind: 'string', value: Buffer.from('MESSAGES'), literal: false }), /atoms/],
  ];
  for (const [arg, reason] of refused) {
    const parsed = parseStatusItems(arg);
    assert.ok(!Array.isArray(parsed), JSON.stringify(arg));
    assert.match(parsed.error, reason);
  }
});

test('STATUS values are formatted in the order asked', () => {
  assert.deepEqual(formatStatusItems(['UIDNEXT', 'MESSAGES', 'UNSEEN', 'UIDVALIDITY', 'SIZE', 'HIGHESTMODSEQ', 'RECENT'], status, { recent: 2 }), [
    atom('UIDNEXT'), 45,
    atom('MESSAGES'), 12,
    atom('UNSEEN'), 3,
    atom('UIDVALIDITY'), 1700000000,
    atom('SIZE'), 123456,
    atom('HIGHESTMODSEQ'), 9001,
    atom('RECENT'), 2,
  ]);
  assert.throws(() => formatStatusItems(['RECENT'], status), /RECENT/);
});

test('DELETED, DELETED-STORAGE and APPENDLIMIT come from the caller', () => {
  assert.deepEqual(statusNeeds(['MESSAGES']), { deleted: false, deletedStorage: false, recent: false });
  assert.deepEqual(statusNeeds(['DELETED', 'DELETED-STORAGE']), { deleted: true, deletedStorage: true, recent: false });
  assert.deepEqual(formatStatusItems(['DELETED', 'DELETED-STORAGE', 'APPENDLIMIT'], status, { deleted: 2, deletedStorage: 2048, appendLimit: 50_000_000 }), [
    atom('DELETED'), 2,
    atom('DELETED-STORAGE'), 2048,
    atom('APPENDLIMIT'), 50_000_000,
  ]);
  assert.deepEqual(formatStatusItems(['APPENDLIMIT'], status), [atom('APPENDLIMIT'), null]);
  assert.throws(() => formatStatusItems(['DELETED'], status), /DELETED/);
  assert.throws(() => formatStatusItems(['DELETED-STORAGE'], status, { deleted: 1 }), /DELETED-STORAGE/);
});
