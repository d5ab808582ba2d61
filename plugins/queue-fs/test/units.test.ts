import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterTemporaryFailure, retryDelay } from '../src/backoff.ts';
import { DueQueue } from '../src/due-queue.ts';
import { CorruptRecordError, decodeEnd, decodeMessage, decodeState, encodeEnd, encodeMessage, encodeState, isValidId } from '../src/format.ts';
import { checkRecord, HEADER_BYTES } from '../src/record.ts';
import { scanSegment } from '../src/segment-reader.ts';
import { checkState, initialState } from '../src/state.ts';
import { envelopeFor } from './helpers.ts';

const envelope = envelopeFor('fmt00000000000001', ['a@example.test', 'b@example.test']);
const message = Buffer.from('Subject: x\r\n\r\nline with \u00e9 bytes\r\n', 'utf8');
const messageRecord = Buffer.concat(encodeMessage(envelope, message));

describe('queue-fs: record framing', () => {
  it('round-trips a message record, envelope and bytes', () => {
    const checked = checkRecord(messageRecord, 0);
    assert.ok(checked.ok);
    assert.equal(checked.type, 'message');
    assert.equal(checked.length, messageRecord.length);
    const decoded = decodeMessage(checked.payload);
    assert.deepEqual(decoded.envelope, envelope);
    assert.equal(decoded.state, undefined);
    assert.equal(decoded.size, message.length);
    assert.ok(checked.payload.subarray(decoded.bodyOffset).equals(message));
  });

  it('refuses every truncation and every flipped bit, header included', () => {
    for (let cut = 0; cut < messageRecord.length; cut++) {
      assert.equal(checkRecord(messageRecord.subarray(0, cut), 0).ok, false, `cut at ${cut}`);
    }
    for (let byte = 0; byte < messageRecord.length; byte++) {
      const damaged = Buffer.from(messageRecord);
      damaged[byte]! ^= 1 << byte % 8;
      assert.equal(checkRecord(damaged, 0).ok, false, `bit flipped in byte ${byte}`);
    }
    const reasons = (bytes: Buffer) => (checkRecord(bytes, 0) as { reason: string }).reason;
    assert.equal(reasons(Buffer.concat([Buffer.from('x'), messageRecord])), 'bad magic');
    assert.equal(reasons(messageRecord.subarray(0, messageRecord.length - 1)), 'truncated record');
    assert.equal(reasons(messageRecord.subarray(0, HEADER_BYTES - 1)), 'truncated header');
    const flipped = Buffer.from(messageRecord);
    flipped[flipped.length - 1]! ^= 0x20;
    assert.equal(reasons(flipped), 'checksum mismatch');
  });

  it('carries a copied message with its state, and state, done and removed records', () => {
    const state = { recipients: [{ address: 'a@example.test', status: 'delivered' as const, attempts: 1 }, { address: 'b@example.test', status: 'deferred' as const, attempts: 2, nextAttemptAt: new Date(0).toISOString() }], bouncedAt: 'x' };
    const copied = checkRecord(Buffer.concat(encodeMessage(envelope, message, state)), 0);
    assert.ok(copied.ok);
    assert.deepEqual(decodeMessage(copied.payload).state, state);

    const stateRecord = checkRecord(Buffer.concat(encodeState(envelope.id, state)), 0);
    assert.ok(stateRecord.ok);
    assert.equal(stateRecord.type, 'state');
    const { id, value } = decodeState(stateRecord.payload);
    assert.equal(id, envelope.id);
    assert.deepEqual(checkState(value, envelope), state);

    for (const type of ['done', 'removed'] as const) {
      const end = checkRecord(Buffer.concat(encodeEnd(type, envelope.id)), 0);
      assert.ok(end.ok);
      assert.equal(end.type, type);
      assert.equal(decodeEnd(end.payload), envelope.id);
    }
  });

  it('refuses a state that does not fit its envelope', () => {
    const state = initialState(envelope, 0);
    assert.deepEqual(checkState(state, envelope), state);
    assert.throws(() => checkState({ recipients: [] }, envelope), /recipients do not match/);
    assert.throws(() => checkState({ recipients: [{ ...state.recipients[0], address: 'x@y' }, state.recipients[1]] }, envelope), /recipient 0 does not match/);
    assert.throws(() => checkState({ recipients: [{ ...state.recipients[0], status: 'lost' }, state.recipients[1]] }, envelope), /bad status/);
    assert.throws(() => decodeState(Buffer.from('{"id":')), CorruptRecordError);
  });

  it('accepts only safe ids', () => {
    assert.ok(isValidId('0mx1c3vh7abc0001'));
    for (const bad of ['', '.hidden', '../x', 'a/b', 'x.tmp', 'a'.repeat(201), 'sp ace']) assert.ok(!isValidId(bad), bad);
  });
});

describe('queue-fs: scanning a segment', () => {
  const records = [encodeMessage(envelope, message), encodeState(envelope.id, initialState(envelope, 0)), encodeEnd('done', envelope.id)].map((parts) => Buffer.concat(parts));
  const segment = Buffer.concat(records);
  const kinds = (bytes: Buffer) => [...scanSegment(bytes)].map((item) => (item.kind === 'record' ? item.type : `damage ${item.offset}-${item.end} ${item.reason}${item.tail ? ' tail' : ''}${item.zeros ? ' zeros' : ''}`));

  it('reads every record in order', () => {
    assert.deepEqual(kinds(segment), ['message', 'state', 'done']);
  });

  it('reports a torn tail', () => {
    const cut = segment.length - 5;
    assert.deepEqual(kinds(segment.subarray(0, cut)), ['message', 'state', `damage ${records[0]!.length + records[1]!.length}-${cut} truncated record tail`]);
  });

  it('skips a damaged record in the middle and goes on with the next one', () => {
    const damaged = Buffer.from(segment);
    const at = records[0]!.length + HEADER_BYTES + 3;
    damaged[at]! ^= 0xff;
    assert.deepEqual(kinds(damaged), ['message', `damage ${records[0]!.length}-${records[0]!.length + records[1]!.length} checksum mismatch`, 'done']);
  });

  it('tells a zero-filled tail from a torn record', () => {
    assert.deepEqual(kinds(Buffer.concat([segment, Buffer.alloc(100)])), ['message', 'state', 'done', `damage ${segment.length}-${segment.length + 100} bad magic tail zeros`]);
  });
});

describe('queue-fs: backoff', () => {
  const policy = { initialMs: 300_000, factor: 2, maxMs: 4 * 3600_000, jitter: 0.1, maxAgeMs: 5 * 86400_000 };
  it('doubles from the initial delay up to the maximum, within the jitter', () => {
    const mid = () => 0.5;
    assert.deepEqual([1, 2, 3, 4, 6, 7, 20].map((n) => retryDelay(n, policy, mid)), [300_000, 600_000, 1_200_000, 2_400_000, 9_600_000, 4 * 3600_000, 4 * 3600_000]);
    assert.equal(retryDelay(1, policy, () => 0), 270_000);
    assert.equal(retryDelay(1, policy, () => 1), 330_000);
  });
  it('cuts the last wait at the deadline and expires after it', () => {
    const received = 1_000_000;
    const deadline = received + policy.maxAgeMs;
    assert.deepEqual(afterTemporaryFailure(30, received, deadline - 1000, policy), { next: deadline });
    assert.deepEqual(afterTemporaryFailure(31, received, deadline, policy), { expired: true });
  });
});

describe('queue-fs: due queue', () => {
  it('hands out due slots in time order', () => {
    const seen: string[] = [];
    const due = new DueQueue((id) => seen.push(id));
    const now = Date.now();
    due.push('c', now - 10);
    due.push('a', now - 30);
    due.push('later', now + 3_600_000);
    due.push('b', now - 20);
    due.start();
    due.fire();
    due.stop();
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(due.size, 1);
  });
});
