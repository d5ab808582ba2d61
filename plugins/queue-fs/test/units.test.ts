import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterTemporaryFailure, retryDelay } from '../src/backoff.ts';
import { DueQueue } from '../src/due-queue.ts';
import { CorruptFileError, decodeMessageFile, encodeHeader, isValidId } from '../src/format.ts';
import { DirectorySync } from '../src/group-commit.ts';
import { decodeState, encodeState, initialState } from '../src/state.ts';
import { tempDir } from '@posthorn/testkit';
import { envelopeFor } from './helpers.ts';

describe('queue-fs: message file format', () => {
  const envelope = envelopeFor('fmt00000000000001', ['a@example.test', 'b@example.test']);
  const message = Buffer.from('Subject: x\r\n\r\nline with \u00e9 bytes\r\n', 'utf8');
  const file = Buffer.concat([encodeHeader(envelope, message), message]);

  it('round-trips envelope and bytes', () => {
    const decoded = decodeMessageFile(file, envelope.id);
    assert.deepEqual(decoded.header.envelope, envelope);
    assert.equal(decoded.header.size, message.length);
    assert.ok(decoded.message.equals(message));
    assert.ok(file.toString('latin1').startsWith('posthorn-queue 1\n{'));
  });

  it('refuses every truncation, a flipped byte, a foreign id and bad magic', () => {
    for (let cut = 0; cut < file.length; cut++) {
      assert.throws(() => decodeMessageFile(file.subarray(0, cut), envelope.id), CorruptFileError, `cut at ${cut}`);
    }
    const flipped = Buffer.from(file);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1);
    assert.throws(() => decodeMessageFile(flipped, envelope.id), /checksum mismatch/);
    assert.throws(() => decodeMessageFile(file, 'other00000000001'), /does not match the file name/);
    assert.throws(() => decodeMessageFile(Buffer.concat([Buffer.from('x'), file]), envelope.id), /bad magic/);
    assert.throws(() => decodeMessageFile(Buffer.concat([file, Buffer.from('extra')]), envelope.id), /length mismatch/);
  });

  it('accepts only file-name-safe ids', () => {
    assert.ok(isValidId('0mx1c3vh7abc0001'));
    for (const bad of ['', '.hidden', '../x', 'a/b', 'x.tmp', 'a'.repeat(201), 'sp ace']) assert.ok(!isValidId(bad), bad);
  });
});

describe('queue-fs: state file', () => {
  const envelope = envelopeFor('st000000000000001', ['a@example.test']);
  it('round-trips and refuses a state of another message', () => {
    const state = initialState(envelope, 0);
    assert.deepEqual(decodeState(encodeState(envelope.id, state).toString(), envelope), state);
    assert.throws(() => decodeState(encodeState('other', state).toString(), envelope), CorruptFileError);
    assert.throws(() => decodeState('{"version":1', envelope), /bad JSON/);
    assert.throws(() => decodeState(encodeState(envelope.id, { recipients: [] }).toString(), envelope), /recipients do not match/);
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

describe('queue-fs: directory fsync group commit', () => {
  it('shares one fsync among the callers that arrive while one is in flight', async () => {
    const dir = await tempDir();
    const sync = new DirectorySync(dir.path);
    try {
      await Promise.all(Array.from({ length: 10 }, () => sync.request()));
      // The first caller started a round; the other nine waited for one more, together.
      assert.equal(sync.rounds, 2);
      await sync.request();
      assert.equal(sync.rounds, 3);
    } finally {
      await sync.close();
      await dir.remove();
    }
  });
});
