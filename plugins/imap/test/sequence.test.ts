import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filterBySequenceSet,
  formatSequenceSet,
  parseSequenceSet,
  resolveSequenceSet,
  sequenceSetContains,
  sequenceSetExceeds,
  sequenceSetMatcher,
  type SequenceSet,
} from '../src/protocol/sequence.ts';

function set(text: string): SequenceSet {
  const parsed = parseSequenceSet(text);
  assert.ok(parsed, `expected ${text} to parse`);
  return parsed;
}

test('parses numbers, ranges, * and lists', () => {
  assert.deepEqual(parseSequenceSet('1'), { kind: 'ranges', ranges: [{ start: 1, end: 1 }] });
  assert.deepEqual(parseSequenceSet('4:2,*,7:*'), {
    kind: 'ranges',
    ranges: [
      { start: 4, end: 2 },
      { start: '*', end: '*' },
      { start: 7, end: '*' },
    ],
  });
  assert.deepEqual(parseSequenceSet('4294967295'), { kind: 'ranges', ranges: [{ start: 4294967295, end: 4294967295 }] });
});

test('$ is the saved-result marker, and only on its own', () => {
  assert.deepEqual(parseSequenceSet('$'), { kind: 'saved' });
  assert.equal(parseSequenceSet('$,1'), undefined);
  assert.equal(parseSequenceSet('1:$'), undefined);
});

test('rejects invalid sets', () => {
  for (const bad of ['', '0', '0:3', '3:0', '01', '1,,2', ',1', '1,', '1:', ':1', '1:2:3', 'a', '1a', '-1', '+1', ' 1', '1 ', '**', '4294967296', '99999999999', '1.5']) {
    assert.equal(parseSequenceSet(bad), undefined, `expected ${JSON.stringify(bad)} to be rejected`);
  }
});

test('resolves to sorted unique numbers, ranges in either order', () => {
  assert.deepEqual(resolveSequenceSet(set('4:2,3,9,1'), 10), [1, 2, 3, 4, 9]);
  assert.deepEqual(resolveSequenceSet(set('2:4,3:5'), 10), [2, 3, 4, 5]);
  assert.deepEqual(resolveSequenceSet(set('*'), 7), [7]);
  assert.deepEqual(resolveSequenceSet(set('5:*'), 7), [5, 6, 7]);
  assert.deepEqual(resolveSequenceSet(set('*:5'), 7), [5, 6, 7]);
});

test('n:* with n beyond max means max..n, so it names max', () => {
  assert.deepEqual(resolveSequenceSet(set('10:*'), 5), [5]);
  assert.deepEqual(resolveSequenceSet(set('*:10'), 5), [5]);
  assert.equal(sequenceSetContains(set('10:*'), 5, 5), true);
});

test('numbers beyond max name nothing', () => {
  assert.deepEqual(resolveSequenceSet(set('3:9'), 5), [3, 4, 5]);
  assert.deepEqual(resolveSequenceSet(set('8,9'), 5), []);
  assert.deepEqual(resolveSequenceSet(set('1:4294967295'), 3), [1, 2, 3]);
});

test('* in an empty mailbox names nothing', () => {
  assert.deepEqual(resolveSequenceSet(set('*'), 0), []);
  assert.deepEqual(resolveSequenceSet(set('1:*'), 0), []);
  assert.deepEqual(resolveSequenceSet(set('3:*'), 0), []);
  assert.equal(sequenceSetContains(set('*'), 0, 0), false);
  assert.equal(sequenceSetContains(set('1:*'), 1, 0), false);
});

test('$ resolves to the saved numbers given, within range', () => {
  assert.deepEqual(resolveSequenceSet(set('$'), 10), []);
  assert.deepEqual(resolveSequenceSet(set('$'), 10, [7, 2, 2, 12, 3]), [2, 3, 7]);
  assert.equal(sequenceSetContains(set('$'), 7, 10, [2, 7]), true);
  assert.equal(sequenceSetContains(set('$'), 3, 10, [2, 7]), false);
});

test('contains and matcher agree with resolve', () => {
  const s = set('2:4,10,20:15,*');
  const max = 30;
  const resolved = new Set(resolveSequenceSet(s, max));
  const has = sequenceSetMatcher(s, max);
  for (let n = 0; n <= 32; n++) {
    assert.equal(has(n), resolved.has(n), `matcher ${n}`);
    assert.equal(sequenceSetContains(s, n, max), resolved.has(n), `contains ${n}`);
  }
});

test('exceeds reports explicit numbers above max, never *', () => {
  assert.equal(sequenceSetExceeds(set('1:5'), 5), false);
  assert.equal(sequenceSetExceeds(set('1:*'), 5), false);
  assert.equal(sequenceSetExceeds(set('6'), 5), true);
  assert.equal(sequenceSetExceeds(set('6:*'), 5), true);
  // An empty mailbox has no message 1, so even `1:*` names one that is not there.
  assert.equal(sequenceSetExceeds(set('1:*'), 0), true);
  assert.equal(sequenceSetExceeds(set('*'), 0), false);
  assert.equal(sequenceSetExceeds(set('$'), 0), false);
});

test('filterBySequenceSet picks members of a sparse sorted list', () => {
  const uids = [3, 7, 8, 100, 5000, 70000];
  assert.deepEqual(filterBySequenceSet(set('1:*'), uids), uids);
  assert.deepEqual(filterBySequenceSet(set('8:100'), uids), [8, 100]);
  assert.deepEqual(filterBySequenceSet(set('80000:*'), uids), [70000]);
  assert.deepEqual(filterBySequenceSet(set('4:6,9:99'), uids), []);
  assert.deepEqual(filterBySequenceSet(set('*'), []), []);
  assert.deepEqual(filterBySequenceSet(set('$'), uids, undefined, [7, 9, 5000]), [7, 5000]);
});

test('formats compact sets, keeping the given order', () => {
  assert.equal(formatSequenceSet([]), '');
  assert.equal(formatSequenceSet([5]), '5');
  assert.equal(formatSequenceSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
  assert.equal(formatSequenceSet([2, 3, 9]), '2:3,9');
  assert.equal(formatSequenceSet([1, 1, 2, 2]), '1:2');
  assert.equal(formatSequenceSet([3, 4, 5, 1]), '3:5,1');
  assert.deepEqual(resolveSequenceSet(set(formatSequenceSet([1, 2, 3, 5, 7, 8])), 10), [1, 2, 3, 5, 7, 8]);
});

test('big sets stay cheap: 1:* over 100k messages, and hostile huge ranges', () => {
  const all = resolveSequenceSet(set('1:*'), 100_000);
  assert.equal(all.length, 100_000);
  assert.equal(all[0], 1);
  assert.equal(all[99_999], 100_000);
  assert.equal(formatSequenceSet(all), '1:100000');

  // Thousands of overlapping ranges merge before anything is enumerated.
  const hostile = set(Array.from({ length: 5000 }, () => '1:4294967295').join(','));
  assert.equal(resolveSequenceSet(hostile, 100_000).length, 100_000);
  const uids = Array.from({ length: 100_000 }, (_, i) => (i + 1) * 40_000);
  assert.equal(filterBySequenceSet(hostile, uids).length, 100_000);

  const everyOther = Array.from({ length: 50_000 }, (_, i) => i * 2 + 1);
  const text = formatSequenceSet(everyOther);
  assert.deepEqual(resolveSequenceSet(set(text), 100_000), everyOther);
});
