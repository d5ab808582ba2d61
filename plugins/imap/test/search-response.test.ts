import { test } from 'node:test';
import assert from 'node:assert/strict';
import { esearchResponse, savedSearchResult, searchResponse } from '../src/search/response.ts';
import { RETURN_ALL, type SearchReturn } from '../src/search/program.ts';
import type { SearchResult } from '../src/search/evaluate.ts';
import { atom } from '../src/protocol/values.ts';

const RESULT: SearchResult = { seqs: [2, 3, 9], uids: [20, 30, 95], modseqs: [7, 4, 5] };
const WITH_MODSEQ: SearchResult = { ...RESULT, highestModseq: 7 };
const EMPTY: SearchResult = { seqs: [], uids: [], modseqs: [] };

function returns(...names: (keyof SearchReturn)[]): SearchReturn {
  const r = { min: false, max: false, all: false, count: false, save: false };
  for (const name of names) r[name] = true;
  return r;
}

test('classic SEARCH lists sequence numbers or UIDs', () => {
  assert.deepEqual(searchResponse(RESULT, false), [atom('SEARCH'), 2, 3, 9]);
  assert.deepEqual(searchResponse(RESULT, true), [atom('SEARCH'), 20, 30, 95]);
  assert.deepEqual(searchResponse(EMPTY, false), [atom('SEARCH')]);
});

test('classic SEARCH adds (MODSEQ n) only when there is a match', () => {
  assert.deepEqual(searchResponse(WITH_MODSEQ, false), [atom('SEARCH'), 2, 3, 9, [atom('MODSEQ'), 7]]);
  assert.deepEqual(searchResponse({ ...EMPTY, highestModseq: 3 }, false), [atom('SEARCH')]);
});

test('ESEARCH with every option, UID and a compact ALL', () => {
  assert.deepEqual(esearchResponse(RESULT, { tag: 'a1', uid: false, returns: returns('min', 'max', 'count', 'all') }), [
    atom('ESEARCH'), [atom('TAG'), 'a1'], atom('MIN'), 2, atom('MAX'), 9, atom('COUNT'), 3, atom('ALL'), atom('2:3,9'),
  ]);
  assert.deepEqual(esearchResponse(RESULT, { tag: 'a2', uid: true, returns: RETURN_ALL }), [
    atom('ESEARCH'), [atom('TAG'), 'a2'], atom('UID'), atom('ALL'), atom('20,30,95'),
  ]);
  assert.deepEqual(esearchResponse(RESULT, { tag: 'a3', uid: false, returns: returns('count') }), [
    atom('ESEARCH'), [atom('TAG'), 'a3'], atom('COUNT'), 3,
  ]);
});

test('an empty ESEARCH result leaves out MIN, MAX and ALL but keeps COUNT 0', () => {
  assert.deepEqual(esearchResponse(EMPTY, { tag: 'b', uid: true, returns: returns('min', 'max', 'all', 'count') }), [
    atom('ESEARCH'), [atom('TAG'), 'b'], atom('UID'), atom('COUNT'), 0,
  ]);
  assert.deepEqual(esearchResponse(EMPTY, { tag: 'b', uid: false, returns: returns('min') }), [atom('ESEARCH'), [atom('TAG'), 'b']]);
});

test('SAVE alone sends no ESEARCH; with others it changes nothing', () => {
  assert.equal(esearchResponse(RESULT, { tag: 'c', uid: false, returns: returns('save') }), undefined);
  assert.deepEqual(esearchResponse(RESULT, { tag: 'c', uid: false, returns: returns('save', 'min') }), [
    atom('ESEARCH'), [atom('TAG'), 'c'], atom('MIN'), 2,
  ]);
});

test('ESEARCH MODSEQ: highest of all, or of the MIN/MAX messages alone', () => {
  const tail = (r: SearchReturn) => esearchResponse(WITH_MODSEQ, { tag: 'd', uid: false, returns: r })!.slice(-2);
  assert.deepEqual(tail(returns('all')), [atom('MODSEQ'), 7]);
  assert.deepEqual(tail(returns('count')), [atom('MODSEQ'), 7]);
  assert.deepEqual(tail(returns('min')), [atom('MODSEQ'), 7]);
  assert.deepEqual(tail(returns('max')), [atom('MODSEQ'), 5]);
  const minMax = { ...WITH_MODSEQ, modseqs: [2, 9, 4], highestModseq: 9 };
  assert.deepEqual(esearchResponse(minMax, { tag: 'd', uid: false, returns: returns('min', 'max') })!.slice(-2), [atom('MODSEQ'), 4]);
  assert.deepEqual(esearchResponse({ ...EMPTY, highestModseq: undefined }, { tag: 'd', uid: false, returns: returns('count') }), [
    atom('ESEARCH'), [atom('TAG'), 'd'], atom('COUNT'), 0,
  ]);
  assert.ok(!esearchResponse(RESULT, { tag: 'd', uid: false, returns: RETURN_ALL })!.some((v) => JSON.stringify(v) === '{"atom":"MODSEQ"}'));
});

test('SAVE stores UIDs: all matches, or only MIN/MAX when those are all that is returned', () => {
  assert.equal(savedSearchResult(RESULT, undefined), undefined);
  assert.equal(savedSearchResult(RESULT, returns('all')), undefined);
  assert.deepEqual(savedSearchResult(RESULT, returns('save')), [20, 30, 95]);
  assert.deepEqual(savedSearchResult(RESULT, returns('save', 'all')), [20, 30, 95]);
  assert.deepEqual(savedSearchResult(RESULT, returns('save', 'min', 'count')), [20, 30, 95]);
  assert.deepEqual(savedSearchResult(RESULT, returns('save', 'min')), [20]);
  assert.deepEqual(savedSearchResult(RESULT, returns('save', 'max')), [95]);
  assert.deepEqual(savedSearchResult(RESULT, returns('save', 'min', 'max')), [20, 95]);
  assert.deepEqual(savedSearchResult({ seqs: [4], uids: [40], modseqs: [1] }, returns('save', 'min', 'max')), [40]);
  assert.deepEqual(savedSearchResult(EMPTY, returns('save', 'min')), []);
});

test('ALL over 100,000 consecutive matches is one range', () => {
  const n = 100_000;
  const seqs = Array.from({ length: n }, (_, i) => i + 1);
  const big: SearchResult = { seqs, uids: seqs, modseqs: seqs };
  assert.deepEqual(esearchResponse(big, { tag: 'e', uid: false, returns: returns('all', 'count') }), [
    atom('ESEARCH'), [atom('TAG'), 'e'], atom('COUNT'), n, atom('ALL'), atom('1:100000'),
  ]);
});
