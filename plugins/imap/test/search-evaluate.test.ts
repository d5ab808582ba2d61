import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateSearch, type SearchContext } from '../src/search/evaluate.ts';
import { isSearchParseError, parseSearch } from '../src/search/parse.ts';
import type { SearchProgram } from '../src/search/program.ts';
import { args, candidates, type TestMessage } from './search-fixtures.ts';

function program(text: string): SearchProgram {
  const parsed = parseSearch(args(text));
  if (isSearchParseError(parsed)) assert.fail(`${text}: ${parsed.error}`);
  return parsed;
}

const MESSAGES: TestMessage[] = [
  {
    uid: 10,
    flags: ['\\Seen', '$Work'],
    modseq: 5,
    internalDate: new Date('2024-01-31T23:30:00Z'),
    size: 500,
    headers: {
      From: ['Alice Example <alice@example.com>'],
      To: ['bob@example.org'],
      Subject: ['Quarterly Report'],
      Date: ['Wed, 31 Jan 2024 23:30:00 -0800'],
    },
    body: 'Numbers are UP this quarter.',
  },
  {
    uid: 11,
    flags: ['\\Flagged'],
    modseq: 9,
    internalDate: new Date('2024-02-01T08:00:00Z'),
    size: 2000,
    headers: {
      From: ['Bob <bob@example.org>'],
      To: ['alice@example.com'],
      Cc: ['carol@example.net'],
      Subject: ['Re: Quarterly report'],
      Date: ['1 Feb 2024 09:00:00 +0100'],
      'X-Mailer': ['Posthorn'],
    },
    body: 'Grüße, see attached.',
  },
  {
    uid: 15,
    flags: ['\\Seen', '\\Answered', '\\Deleted'],
    modseq: 7,
    internalDate: new Date('2024-02-02T12:00:00Z'),
    size: 1500,
    headers: { From: ['carol@example.net'], Subject: ['Lunch?'] },
    body: 'Pizza at noon',
  },
  {
    uid: 20,
    flags: ['\\Draft', '$work'],
    modseq: 12,
    internalDate: new Date('2024-02-10T00:00:00Z'),
    size: 100,
    headers: { Subject: ['draft'], Date: ['not a date'] },
    body: '',
  },
];

const CTX: SearchContext = { maxSeq: 4, maxUid: 20 };

async function run(text: string, ctx: SearchContext = CTX) {
  const { list, reads } = candidates(MESSAGES);
  const result = await evaluateSearch(program(text), list, ctx);
  return { result, reads, seqs: [...result.seqs], uids: [...result.uids] };
}

async function seqs(text: string, ctx?: SearchContext): Promise<number[]> {
  return (await run(text, ctx)).seqs;
}

test('flag keys', async () => {
  assert.deepEqual(await seqs('SEEN'), [1, 3]);
  assert.deepEqual(await seqs('UNSEEN'), [2, 4]);
  assert.deepEqual(await seqs('ANSWERED'), [3]);
  assert.deepEqual(await seqs('UNANSWERED'), [1, 2, 4]);
  assert.deepEqual(await seqs('DELETED'), [3]);
  assert.deepEqual(await seqs('UNDELETED'), [1, 2, 4]);
  assert.deepEqual(await seqs('DRAFT'), [4]);
  assert.deepEqual(await seqs('UNDRAFT'), [1, 2, 3]);
  assert.deepEqual(await seqs('FLAGGED'), [2]);
  assert.deepEqual(await seqs('UNFLAGGED'), [1, 3, 4]);
  // Keywords compare case-insensitively.
  assert.deepEqual(await seqs('KEYWORD $WORK'), [1, 4]);
  assert.deepEqual(await seqs('UNKEYWORD $work'), [2, 3]);
});

test('ALL, OLD, RECENT, NEW', async () => {
  assert.deepEqual(await seqs('ALL'), [1, 2, 3, 4]);
  // Without a recent set nothing is \Recent.
  assert.deepEqual(await seqs('RECENT'), []);
  assert.deepEqual(await seqs('OLD'), [1, 2, 3, 4]);
  const ctx = { ...CTX, recent: new Set([11, 15]) };
  assert.deepEqual(await seqs('RECENT', ctx), [2, 3]);
  // NEW is RECENT UNSEEN: UID 15 is \Seen.
  assert.deepEqual(await seqs('NEW', ctx), [2]);
  assert.deepEqual(await seqs('OLD', ctx), [1, 4]);
  assert.deepEqual(await seqs('NOT RECENT', ctx), [1, 4]);
});

test('sizes', async () => {
  assert.deepEqual(await seqs('LARGER 500'), [2, 3]);
  assert.deepEqual(await seqs('SMALLER 500'), [4]);
  assert.deepEqual(await seqs('LARGER 100 SMALLER 2000'), [1, 3]);
});

test('sequence sets and UID sets', async () => {
  assert.deepEqual(await seqs('2:3'), [2, 3]);
  assert.deepEqual(await seqs('*'), [4]);
  assert.deepEqual(await seqs('3:*'), [3, 4]);
  assert.deepEqual(await seqs('UID 11:15'), [2, 3]);
  assert.deepEqual(await seqs('UID *'), [4]);
  assert.deepEqual(await seqs('UID 16:*'), [4]);
  assert.deepEqual(await seqs('UID 21:*'), [4], '21:* means 20:21');
  assert.deepEqual(await seqs('UID 1:9'), []);
  assert.deepEqual(await seqs('NOT 1:2'), [3, 4]);
});

test('$ matches the saved result by UID; empty without one', async () => {
  assert.deepEqual(await seqs('$'), []);
  assert.deepEqual(await seqs('UID $'), []);
  assert.deepEqual(await seqs('$', { ...CTX, savedResult: [11, 20, 99] }), [2, 4]);
  assert.deepEqual(await seqs('UID $ SEEN', { ...CTX, savedResult: [10, 11] }), [1]);
});

test('INTERNALDATE keys compare days in UTC by default, or at a given offset', async () => {
  assert.deepEqual(await seqs('ON 31-Jan-2024'), [1]);
  assert.deepEqual(await seqs('BEFORE 1-Feb-2024'), [1]);
  assert.deepEqual(await seqs('SINCE 1-Feb-2024'), [2, 3, 4]);
  assert.deepEqual(await seqs('SINCE 2-Feb-2024 BEFORE 10-Feb-2024'), [3]);
  // At +01:00 message 1 (23:30Z) arrived on 1 February.
  assert.deepEqual(await seqs('ON 1-Feb-2024', { ...CTX, internalDateOffsetMinutes: 60 }), [1, 2]);
});

test('SENT* keys use the Date header day in its own zone, INTERNALDATE when unusable', async () => {
  // Message 1 is 31 Jan in its own zone (-0800) though that is 1 Feb in UTC.
  assert.deepEqual(await seqs('SENTON 31-Jan-2024'), [1]);
  assert.deepEqual(await seqs('SENTON 1-Feb-2024'), [2]);
  assert.deepEqual(await seqs('SENTBEFORE 1-Feb-2024'), [1]);
  // 3 has no Date header and 4 an unparsable one: their INTERNALDATEs stand in.
  assert.deepEqual(await seqs('SENTSINCE 2-Feb-2024'), [3, 4]);
  assert.deepEqual(await seqs('SENTON 10-Feb-2024'), [4]);
});

test('OLDER and YOUNGER against the given now', async () => {
  const now = new Date('2024-02-10T01:00:00Z');
  assert.deepEqual(await seqs('YOUNGER 7200', { ...CTX, now }), [4]);
  assert.deepEqual(await seqs('OLDER 7200', { ...CTX, now }), [1, 2, 3]);
});

test('MODSEQ matches modseq >= n and reports the highest match', async () => {
  const { result } = await run('MODSEQ 7');
  assert.deepEqual(result.seqs, [2, 3, 4]);
  assert.deepEqual(result.modseqs, [9, 7, 12]);
  assert.equal(result.highestModseq, 12);
  const narrowed = await run('MODSEQ "/flags/\\\\Seen" all 6 SEEN');
  assert.deepEqual(narrowed.seqs, [3]);
  assert.equal(narrowed.result.highestModseq, 7);
  assert.equal((await run('MODSEQ 100')).result.highestModseq, undefined);
  assert.equal((await run('SEEN')).result.highestModseq, undefined);
});

test('header keys: case-insensitive substring of the field value', async () => {
  assert.deepEqual(await seqs('FROM alice'), [1]);
  assert.deepEqual(await seqs('FROM EXAMPLE.ORG'), [2]);
  assert.deepEqual(await seqs('TO alice'), [2]);
  assert.deepEqual(await seqs('CC carol'), [2]);
  assert.deepEqual(await seqs('BCC x'), []);
  assert.deepEqual(await seqs('SUBJECT "quarterly REPORT"'), [1, 2]);
  assert.deepEqual(await seqs('HEADER x-mailer posthorn'), [2]);
  // An empty string matches every message that has the field at all.
  assert.deepEqual(await seqs('HEADER Cc ""'), [2]);
  assert.deepEqual(await seqs('FROM ""'), [1, 2, 3]);
});

test('BODY and TEXT', async () => {
  assert.deepEqual(await seqs('BODY up'), [1]);
  assert.deepEqual(await seqs('BODY "GRÜSSE"'), [], 'no accent or ß folding');
  assert.deepEqual(await seqs('BODY "grüße"'), [2]);
  assert.deepEqual(await seqs('BODY quarterly'), [], 'BODY does not look at headers');
  assert.deepEqual(await seqs('TEXT quarterly'), [1, 2]);
  assert.deepEqual(await seqs('TEXT pizza'), [3]);
  assert.deepEqual(await seqs('TEXT x-mailer'), [2]);
});

test('AND, OR, NOT combine', async () => {
  assert.deepEqual(await seqs('SEEN SMALLER 1000'), [1]);
  assert.deepEqual(await seqs('OR FLAGGED DRAFT'), [2, 4]);
  assert.deepEqual(await seqs('OR FLAGGED DRAFT SMALLER 1000'), [4]);
  assert.deepEqual(await seqs('NOT SEEN NOT DRAFT'), [2]);
  assert.deepEqual(await seqs('NOT (SEEN SMALLER 1000)'), [2, 3, 4]);
  assert.deepEqual(await seqs('OR (SEEN FROM carol) SUBJECT draft'), [3, 4]);
  assert.deepEqual(await seqs('NOT OR FROM alice FROM bob'), [3, 4]);
});

test('UID SEARCH numbers come back as UIDs in the same order', async () => {
  const { result } = await run('UNSEEN');
  assert.deepEqual(result.uids, [11, 20]);
  assert.deepEqual(result.seqs, [2, 4]);
});

test('metadata-only searches read no message content', async () => {
  const metadataOnly = [
    'ALL', 'SEEN', 'UNSEEN KEYWORD $Work', 'LARGER 10 SMALLER 5000', 'BEFORE 1-Jan-2030', 'ON 1-Feb-2024',
    'SINCE 1-Jan-2000', 'UID 1:*', '1:*', 'MODSEQ 1', 'NOT (OR DRAFT (FLAGGED ANSWERED))', 'OLD', 'NEW', 'RECENT',
    'OLDER 1', 'YOUNGER 100000000',
  ];
  for (const text of metadataOnly) {
    const { reads } = await run(text, { ...CTX, savedResult: [10] });
    assert.deepEqual(reads, { header: 0, headerText: 0, bodyText: 0 }, text);
  }
});

test('cheap checks run first: content is read only for messages that pass them', async () => {
  // Only the 2 unseen messages get their body read, though BODY comes first.
  const a = await run('BODY e UNSEEN');
  assert.deepEqual(a.seqs, [2]);
  assert.deepEqual(a.reads, { header: 0, headerText: 0, bodyText: 2 });
  // A header check runs before a body check: only message 1's subject mentions report... and 2's.
  const b = await run('TEXT numbers SUBJECT report');
  assert.deepEqual(b.seqs, [1]);
  assert.equal(b.reads.header, 4);
  assert.equal(b.reads.headerText, 2);
  assert.ok(b.reads.bodyText <= 2);
  // Inside a group too: nothing is read for a failed UID check.
  const c = await run('(BODY x UID 10)');
  assert.deepEqual(c.reads, { header: 0, headerText: 0, bodyText: 1 });
});

test('OR and NOT short-circuit', async () => {
  // The cheap side of an OR decides first; the body is read only where it is false.
  const a = await run('OR BODY pizza SEEN');
  assert.deepEqual(a.seqs, [1, 3]);
  assert.equal(a.reads.bodyText, 2);
  const b = await run('NOT OR SEEN BODY zzz');
  assert.deepEqual(b.seqs, [2, 4]);
  assert.equal(b.reads.bodyText, 2);
  // Each text is loaded once per message however many keys look at it.
  const c = await run('BODY a BODY e BODY i');
  assert.equal(c.reads.bodyText, 4);
});

test('results keep sequence order with concurrent content loads', async () => {
  const messages: TestMessage[] = Array.from({ length: 50 }, (_, i) => ({ uid: i + 1, body: i % 3 === 0 ? 'hit' : 'miss' }));
  const { list } = candidates(messages);
  // Later messages load faster than earlier ones: fewer event-loop turns before they resolve.
  const afterTurns = (turns: number): Promise<void> =>
    turns <= 0 ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve)).then(() => afterTurns(turns - 1));
  const finished: number[] = [];
  const slow = list.map((c, i) => ({
    seq: c.seq,
    meta: c.meta,
    header: c.header,
    headerText: c.headerText,
    bodyText: async () => {
      await afterTurns(50 - i);
      finished.push(c.seq);
      return c.bodyText();
    },
  }));
  const result = await evaluateSearch(program('BODY hit'), slow, { maxSeq: 50, maxUid: 50, concurrency: 5 });
  assert.deepEqual([...result.seqs], messages.flatMap((_, i) => (i % 3 === 0 ? [i + 1] : [])));
  // The loads really did overlap and finish out of order.
  assert.notDeepEqual(finished, [...finished].sort((x, y) => x - y));
});

test('a flag search over 100,000 messages reads nothing and returns every match', async () => {
  const messages: TestMessage[] = Array.from({ length: 100_000 }, (_, i) => ({
    uid: i * 2 + 1,
    flags: i % 10 === 0 ? ['\\Seen'] : [],
    modseq: i + 1,
  }));
  const { list, reads } = candidates(messages);
  const result = await evaluateSearch(program('UNSEEN UID 1:* NOT DELETED'), list, { maxSeq: 100_000, maxUid: 199_999 });
  assert.equal(result.seqs.length, 90_000);
  assert.equal(result.uids[0], 3);
  assert.deepEqual(reads, { header: 0, headerText: 0, bodyText: 0 });
});

test('a failing content load fails the search and stops further loads', async () => {
  const messages: TestMessage[] = Array.from({ length: 100 }, (_, i) => ({ uid: i + 1, body: 'x' }));
  const { list, reads } = candidates(messages);
  const broken = list.map((c) =>
    c.seq === 3 ? { ...c, seq: c.seq, meta: c.meta, bodyText: () => Promise.reject(new Error('gone')) } : c,
  );
  await assert.rejects(evaluateSearch(program('BODY x'), broken, { maxSeq: 100, maxUid: 100, concurrency: 2 }), /gone/);
  assert.ok(reads.bodyText < 99, `read ${reads.bodyText} bodies after the failure`);
});
