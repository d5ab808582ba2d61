import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSearchParseError, parseSearch, parseSearchDate } from '../src/search/parse.ts';
import type { SearchKey, SearchProgram } from '../src/search/program.ts';
import type { Arg } from '../src/protocol/values.ts';
import { args } from './search-fixtures.ts';

function program(text: string | Arg[]): SearchProgram {
  const parsed = parseSearch(typeof text === 'string' ? args(text) : text);
  if (isSearchParseError(parsed)) assert.fail(`${JSON.stringify(text)} failed: ${parsed.error}`);
  return parsed;
}

function key(text: string): SearchKey {
  return program(text).key;
}

function error(text: string | Arg[]): { error: string; code?: string } {
  const parsed = parseSearch(typeof text === 'string' ? args(text) : text);
  assert.ok(isSearchParseError(parsed), `${typeof text === 'string' ? text : 'args'} should not parse`);
  return parsed;
}

const seq = (text: string): SearchKey => ({ type: 'seq', set: { kind: 'ranges', ranges: rangesOf(text) } });
function rangesOf(text: string) {
  return text.split(',').map((p) => {
    const [a, b = a] = p.split(':') as [string, string?];
    const bound = (x: string) => (x === '*' ? ('*' as const) : Number(x));
    return { start: bound(a), end: bound(b!) };
  });
}

test('flag keys, in any case', () => {
  const cases: [string, string, boolean][] = [
    ['ANSWERED', '\\Answered', true],
    ['deleted', '\\Deleted', true],
    ['Draft', '\\Draft', true],
    ['FLAGGED', '\\Flagged', true],
    ['SEEN', '\\Seen', true],
    ['UNANSWERED', '\\Answered', false],
    ['UNDELETED', '\\Deleted', false],
    ['undraft', '\\Draft', false],
    ['UNFLAGGED', '\\Flagged', false],
    ['unseen', '\\Seen', false],
  ];
  for (const [name, flag, present] of cases) assert.deepEqual(key(name), { type: 'flag', flag, present }, name);
  assert.deepEqual(key('KEYWORD $Junk'), { type: 'flag', flag: '$Junk', present: true });
  assert.deepEqual(key('UNKEYWORD work'), { type: 'flag', flag: 'work', present: false });
});

test('ALL, OLD, RECENT, NEW', () => {
  assert.deepEqual(key('ALL'), { type: 'all' });
  assert.deepEqual(key('OLD'), { type: 'not', key: { type: 'recent' } });
  assert.deepEqual(key('RECENT'), { type: 'recent' });
  assert.deepEqual(key('NEW'), { type: 'and', keys: [{ type: 'recent' }, { type: 'flag', flag: '\\Seen', present: false }] });
});

test('string keys take atoms, quoted strings and literals', () => {
  assert.deepEqual(key('FROM alice'), { type: 'header', field: 'From', value: 'alice' });
  assert.deepEqual(key('TO "Bob Smith"'), { type: 'header', field: 'To', value: 'Bob Smith' });
  assert.deepEqual(key('CC ""'), { type: 'header', field: 'Cc', value: '' });
  assert.deepEqual(key('BCC x'), { type: 'header', field: 'Bcc', value: 'x' });
  assert.deepEqual(key('SUBJECT "hello world"'), { type: 'header', field: 'Subject', value: 'hello world' });
  assert.deepEqual(key('HEADER X-Mailer "Foo"'), { type: 'header', field: 'X-Mailer', value: 'Foo' });
  assert.deepEqual(key('BODY "needle"'), { type: 'body', value: 'needle' });
  assert.deepEqual(key('TEXT needle'), { type: 'text', value: 'needle' });
  const literal: Arg[] = [
    { kind: 'atom', value: 'SUBJECT' },
    { kind: 'string', value: Buffer.from('Grüße\r\naus', 'utf8'), literal: true },
  ];
  assert.deepEqual(program(literal).key, { type: 'header', field: 'Subject', value: 'Grüße\r\naus' });
});

test('date keys, quoted or not', () => {
  assert.deepEqual(key('BEFORE 1-Feb-2024'), { type: 'internal-date', op: 'before', day: 20240201 });
  assert.deepEqual(key('ON "15-mar-2023"'), { type: 'internal-date', op: 'on', day: 20230315 });
  assert.deepEqual(key('SINCE 29-Feb-2024'), { type: 'internal-date', op: 'since', day: 20240229 });
  assert.deepEqual(key('SENTBEFORE 01-Jan-2000'), { type: 'sent-date', op: 'before', day: 20000101 });
  assert.deepEqual(key('SENTON 31-Dec-1999'), { type: 'sent-date', op: 'on', day: 19991231 });
  assert.deepEqual(key('SENTSINCE 1-JAN-2020'), { type: 'sent-date', op: 'since', day: 20200101 });
});

test('invalid dates are errors', () => {
  for (const bad of ['2024-01-01', '1-Foo-2024', '32-Jan-2024', '0-Jan-2024', '29-Feb-2023', '31-Apr-2024', '1-Jan-24', '123-Jan-2024', '1 Jan 2024']) {
    assert.equal(parseSearchDate(bad), undefined, bad);
  }
  assert.match(error('SINCE 2024-01-01').error, /Invalid date for SINCE/);
  assert.match(error('BEFORE').error, /BEFORE needs a date/);
  assert.match(error('ON (1-Jan-2024)').error, /ON needs a date/);
});

test('sizes, UID, sequence sets, MODSEQ, OLDER/YOUNGER', () => {
  assert.deepEqual(key('LARGER 1024'), { type: 'size', op: 'larger', size: 1024 });
  assert.deepEqual(key('SMALLER 0'), { type: 'size', op: 'smaller', size: 0 });
  assert.deepEqual(key('UID 1:*,5'), { type: 'uid', set: { kind: 'ranges', ranges: rangesOf('1:*,5') } });
  assert.deepEqual(key('2:4,*'), seq('2:4,*'));
  assert.deepEqual(key('*'), seq('*'));
  assert.deepEqual(key('OLDER 3600'), { type: 'age', op: 'older', seconds: 3600 });
  assert.deepEqual(key('YOUNGER 60'), { type: 'age', op: 'younger', seconds: 60 });

  const modseq = program('MODSEQ 620162338');
  assert.deepEqual(modseq.key, { type: 'modseq', modseq: 620162338 });
  assert.equal(modseq.usesModseq, true);
  assert.deepEqual(key('MODSEQ "/flags/\\\\draft" all 620162338'), {
    type: 'modseq',
    modseq: 620162338,
    entry: { flag: '\\draft', scope: 'all' },
  });
  assert.deepEqual(key('MODSEQ "/flags/$Junk" PRIV 0'), { type: 'modseq', modseq: 0, entry: { flag: '$Junk', scope: 'priv' } });
  assert.equal(program('SEEN').usesModseq, false);
});

test('$ marks the program as using the saved result', () => {
  const p = program('$ UNSEEN');
  assert.equal(p.usesSavedResult, true);
  assert.deepEqual(p.key, { type: 'and', keys: [{ type: 'seq', set: { kind: 'saved' } }, { type: 'flag', flag: '\\Seen', present: false }] });
  assert.deepEqual(program('UID $').key, { type: 'uid', set: { kind: 'saved' } });
  assert.equal(program('UID $').usesSavedResult, true);
  assert.equal(program('UID 1:*').usesSavedResult, false);
});

test('keys side by side are ANDed; OR and NOT take one key each', () => {
  const seen = { type: 'flag', flag: '\\Seen', present: true } as const;
  const flagged = { type: 'flag', flag: '\\Flagged', present: true } as const;
  const deleted = { type: 'flag', flag: '\\Deleted', present: true } as const;
  assert.deepEqual(key('SEEN FLAGGED'), { type: 'and', keys: [seen, flagged] });
  assert.deepEqual(key('OR SEEN FLAGGED DELETED'), { type: 'and', keys: [{ type: 'or', left: seen, right: flagged }, deleted] });
  assert.deepEqual(key('NOT SEEN FLAGGED'), { type: 'and', keys: [{ type: 'not', key: seen }, flagged] });
  assert.deepEqual(key('OR NOT SEEN FLAGGED'), { type: 'or', left: { type: 'not', key: seen }, right: flagged });
  assert.deepEqual(key('NOT OR SEEN FLAGGED'), { type: 'not', key: { type: 'or', left: seen, right: flagged } });
  assert.deepEqual(key('OR (SEEN FLAGGED) DELETED'), { type: 'or', left: { type: 'and', keys: [seen, flagged] }, right: deleted });
  assert.deepEqual(key('OR OR SEEN FLAGGED DELETED'), { type: 'or', left: { type: 'or', left: seen, right: flagged }, right: deleted });
  assert.deepEqual(key('(SEEN)'), seen);
  assert.deepEqual(key('((SEEN (FLAGGED)))'), { type: 'and', keys: [seen, flagged] });
  assert.deepEqual(key('NOT (FROM x SUBJECT y)'), {
    type: 'not',
    key: { type: 'and', keys: [{ type: 'header', field: 'From', value: 'x' }, { type: 'header', field: 'Subject', value: 'y' }] },
  });
});

test('RETURN options and CHARSET', () => {
  assert.equal(program('ALL').returns, undefined);
  assert.deepEqual(program('RETURN (MIN MAX) ALL').returns, { min: true, max: true, all: false, count: false, save: false });
  assert.deepEqual(program('return (count save all) ALL').returns, { min: false, max: false, all: true, count: true, save: true });
  assert.deepEqual(program('RETURN () ALL').returns, { min: false, max: false, all: true, count: false, save: false });
  assert.deepEqual(program('RETURN (SAVE) ALL').returns, { min: false, max: false, all: false, count: false, save: true });
  assert.equal(program('CHARSET UTF-8 ALL').charset, 'UTF-8');
  assert.equal(program('CHARSET "us-ascii" ALL').charset, 'US-ASCII');
  const both = program('RETURN (COUNT) CHARSET utf-8 SUBJECT x');
  assert.equal(both.charset, 'UTF-8');
  assert.equal(both.returns?.count, true);
  assert.deepEqual(both.key, { type: 'header', field: 'Subject', value: 'x' });
});

test('unsupported charset answers BADCHARSET, other errors have no code', () => {
  const bad = error('CHARSET ISO-8859-1 ALL');
  assert.equal(bad.code, 'BADCHARSET');
  assert.match(bad.error, /ISO-8859-1/);
  assert.equal(error('FOO').code, undefined);
  assert.match(error('CHARSET').error, /charset name/);
});

test('bad input gives clear errors', () => {
  const cases: [string | Arg[], RegExp][] = [
    ['', /Missing search criteria/],
    ['RETURN (MIN)', /Missing search criteria/],
    ['CHARSET UTF-8', /Missing search criteria/],
    ['FOO', /Unknown search key: FOO/],
    ['ALL BOGUS', /Unknown search key: BOGUS/],
    ['RETURN (PARTIAL 1:10) ALL', /Unknown RETURN option: PARTIAL/],
    ['RETURN MIN ALL', /RETURN needs a parenthesised list/],
    ['FROM', /FROM needs a string/],
    ['FROM (x)', /FROM needs a string/],
    ['HEADER Subject', /HEADER needs a string/],
    ['HEADER "" x', /HEADER needs a field name/],
    ['KEYWORD', /KEYWORD needs a flag keyword/],
    ['LARGER x', /LARGER needs a number/],
    ['SMALLER -1', /SMALLER needs a number/],
    ['LARGER 99999999999999999999', /LARGER needs a number/],
    ['UID', /UID needs a sequence set/],
    ['UID 0', /Invalid sequence set: 0/],
    ['UID "1:2"', /UID needs a sequence set/],
    ['1:0', /Invalid sequence set/],
    ['4294967296', /Invalid sequence set/],
    ['NOT', /NOT needs a search key/],
    ['OR SEEN', /OR needs a search key/],
    ['()', /Empty parenthesised/],
    ['"SEEN"', /Expected a search key/],
    ['MODSEQ', /MODSEQ needs a number/],
    ['MODSEQ "/flags/\\\\Seen" 5', /MODSEQ entry type/],
    ['MODSEQ "/shared/comment" all 5', /Invalid MODSEQ entry name/],
    ['MODSEQ abc', /Invalid MODSEQ entry name/],
    ['OLDER 0', /positive interval/],
  ];
  for (const [input, pattern] of cases) assert.match(error(input).error, pattern, JSON.stringify(input));
});

test('deep nesting is refused, not a stack overflow', () => {
  assert.match(error(`${'NOT '.repeat(100_000)}SEEN`).error, /nested too deeply/);
  let nested: Arg = { kind: 'atom', value: 'SEEN' };
  for (let i = 0; i < 10_000; i++) nested = { kind: 'list', items: [nested] };
  assert.match(error([nested]).error, /nested too deeply/);
  // Moderate depth is fine.
  assert.ok(!isSearchParseError(parseSearch(args(`${'NOT '.repeat(20)}SEEN`))));
});

test('error messages never echo control characters or whole literals', () => {
  const hostile: Arg[] = [{ kind: 'atom', value: `X\r\n* BYE${'a'.repeat(1000)}` }];
  const message = error(hostile).error;
  assert.doesNotMatch(message, /[\r\n]/);
  assert.ok(message.length < 100);
});
