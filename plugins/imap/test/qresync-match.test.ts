import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPlainSequenceSet, parseSeqMatchData, seqMatchFloor } from '../src/commands/qresync-match.ts';

test('sequence match data pairs the two sets in the order given', () => {
  assert.deepEqual(parseSeqMatchData('1:3,7', '2,4:5,9'), { seqs: [1, 2, 3, 7], uids: [2, 4, 5, 9] });
  assert.deepEqual(parseSeqMatchData('3:1', '1:3'), { seqs: [1, 2, 3], uids: [1, 2, 3] });
});

test('sets with *, $ or different sizes are errors; sets too big to walk give no pairs', () => {
  for (const [seqs, uids] of [['1:*', '1:3'], ['1:3', '$'], ['1:3', '1:2'], ['0', '1'], ['', '']]) {
    assert.ok('error' in parseSeqMatchData(seqs!, uids!), `${seqs} ${uids}`);
  }
  assert.deepEqual(parseSeqMatchData('1:4294967295', '1:4294967295'), { seqs: [], uids: [] });
  assert.ok(isPlainSequenceSet('1:5,9'));
  assert.ok(!isPlainSequenceSet('1:*'));
  assert.ok(!isPlainSequenceSet('$'));
});

test('the floor is the highest UID still at the sequence number the client knew', () => {
  // Now: 1->1, 2->3, 3->4, 4->6 (2 and 5 expunged).
  const uids = [1, 3, 4, 6];
  const uidAt = (seq: number) => uids[seq - 1];
  assert.equal(seqMatchFloor({ seqs: [1, 2, 3], uids: [1, 3, 4] }, uidAt), 4);
  assert.equal(seqMatchFloor({ seqs: [1, 4, 5], uids: [1, 4, 5] }, uidAt), 1);
  assert.equal(seqMatchFloor({ seqs: [2], uids: [2] }, uidAt), 0);
  assert.equal(seqMatchFloor({ seqs: [], uids: [] }, uidAt), 0);
});
