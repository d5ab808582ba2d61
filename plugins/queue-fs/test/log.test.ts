import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, tempDir } from '@posthorn/testkit';
import { encodeEnd, encodeMessage } from '../src/format.ts';
import { segmentName } from '../src/segment-files.ts';
import type { MessageState } from '../src/state.ts';
import { QueueLog, type QueueLogOptions } from '../src/store.ts';
import { envelopeFor, messageText, onDisk, segmentFiles, until, writeSegment } from './helpers.ts';

const body = (subject: string) => Buffer.from(messageText(subject), 'latin1');

describe('queue-fs: the segment log', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  const logs = captureLogs('debug');
  /** Options for a queue directory of its own; compaction only when a test asks for it. */
  const fresh = (extra: Partial<QueueLogOptions> = {}): QueueLogOptions => ({
    dir: join(dir.path, `q${n++}`),
    log: logs.logger,
    segmentSize: 64 * 1024 * 1024,
    segmentAgeMs: 3_600_000,
    compactIntervalMs: 3_600_000,
    ...extra,
  });
  const open = async (options: QueueLogOptions) => {
    const store = new QueueLog(options);
    return { store, messages: await store.open() };
  };

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await dir.remove();
  });

  it('reads back after a restart what was queued, its latest state, and nothing that was finished', async () => {
    const options = fresh();
    const { store } = await open(options);
    const [a, b, c] = ['keep0000000000001', 'done0000000000001', 'gone0000000000001'].map((id) => envelopeFor(id, ['x@example.test', 'y@example.test']));
    await Promise.all([store.enqueue(a!, body('a')), store.enqueue(b!, body('b')), store.enqueue(c!, body('c'))]);
    const deferred: MessageState = {
      recipients: [
        { address: 'x@example.test', status: 'delivered', attempts: 1 },
        { address: 'y@example.test', status: 'deferred', attempts: 2, nextAttemptAt: new Date(Date.now() + 60_000).toISOString() },
      ],
    };
    await store.saveState(a!.id, { recipients: [deferred.recipients[0]!, { ...deferred.recipients[1]!, attempts: 1 }] });
    await store.saveState(a!.id, deferred);
    await store.finish(b!.id);
    assert.equal(await store.remove(c!.id), true);
    assert.equal(await store.remove(c!.id), false);
    await store.close();

    const again = await open(options);
    assert.deepEqual(again.messages.map((m) => m.envelope.id), [a!.id]);
    assert.deepEqual(again.messages[0]!.state, deferred, 'the last state written wins');
    assert.ok((await again.store.read(a!.id)).equals(body('a')));
    await assert.rejects(again.store.read(b!.id), { code: 'ENOENT' });
    await again.store.close();
  });

  it('treats an enqueue of a queued id as a no-op, and takes the id again once the message is finished', async () => {
    const options = fresh();
    const { store } = await open(options);
    const envelope = envelopeFor('idem0000000000001', ['x@example.test']);
    const outcomes = await Promise.all([store.enqueue(envelope, body('one')), store.enqueue(envelope, body('two'))]);
    assert.deepEqual(outcomes.sort(), ['exists', 'stored']);
    assert.equal(await store.enqueue(envelope, body('three')), 'exists');
    assert.ok((await store.read(envelope.id)).equals(body('one')), 'the first copy stays');
    assert.equal(store.stats.records, 1, 'one record written');
    await store.finish(envelope.id);
    assert.equal(await store.enqueue(envelope, body('four')), 'stored');
    assert.ok((await store.read(envelope.id)).equals(body('four')));
    await store.close();
    const again = await open(options);
    assert.deepEqual(again.messages.map((m) => m.envelope.id), [envelope.id]);
    assert.ok((await again.store.read(envelope.id)).equals(body('four')), 'the new message, after the end of the old one');
    await again.store.close();
  });

  it('cuts a torn tail off, sets it aside with a warning, and keeps everything before it', async () => {
    const options = fresh();
    const { store } = await open(options);
    const whole = envelopeFor('whole000000000001', ['x@example.test']);
    const torn = envelopeFor('torn0000000000001', ['x@example.test']);
    await store.enqueue(whole, body('whole'));
    await store.enqueue(torn, body('torn'));
    await store.close();
    const path = join(options.dir, segmentName(1));
    const size = (await stat(path)).size;
    // A crash in the middle of the second record's write.
    await truncate(path, size - 20);

    logs.lines.length = 0;
    const again = await open(options);
    assert.deepEqual(again.messages.map((m) => m.envelope.id), [whole.id]);
    const warning = logs.find('queue file set aside as corrupt')[0];
    assert.equal(warning?.file, segmentName(1));
    assert.equal(warning?.reason, 'truncated record');
    assert.equal(warning?.tail, true);
    const tornStart = size - Buffer.concat(encodeMessage(torn, body('torn'))).length;
    assert.equal(warning?.offset, tornStart);
    assert.equal((await stat(path)).size, tornStart, 'the torn tail is cut off');
    assert.deepEqual(await readdir(join(options.dir, 'corrupt')), [`${segmentName(1)}.${tornStart}`]);
    // New records go to a new segment, never after the damage.
    await again.store.enqueue(torn, body('torn again'));
    assert.equal(again.store.get(torn.id)?.seq, 2);
    await again.store.close();
  });

  it('sets a damaged record in the middle aside, logs it, and applies the records after it', async () => {
    const options = fresh();
    const first = envelopeFor('first000000000001', ['x@example.test']);
    const damaged = envelopeFor('damaged0000000001', ['x@example.test']);
    const third = envelopeFor('third000000000001', ['x@example.test']);
    const records = [encodeMessage(first, body('1')), encodeMessage(damaged, body('2')), encodeMessage(third, body('3')), encodeEnd('done', first.id)];
    const { store: creator } = await open(options);
    await creator.close();
    const path = await writeSegment(options.dir, 1, records);
    const bytes = await readFile(path);
    const damagedAt = Buffer.concat(records[0]!).length;
    bytes[damagedAt + 40]! ^= 0x01;
    await writeFile(path, bytes);

    logs.lines.length = 0;
    const { store, messages } = await open(options);
    assert.deepEqual(messages.map((m) => m.envelope.id), [third.id], 'the first is done, the second damaged, the third fine');
    const warning = logs.find('queue file set aside as corrupt')[0];
    assert.deepEqual([warning?.offset, warning?.reason, warning?.tail], [damagedAt, 'checksum mismatch', false]);
    assert.equal(warning?.length, Buffer.concat(records[1]!).length);
    assert.ok(logs.lines.every((line) => line.level !== 'error' && line.level !== 'fatal'), 'nothing worse than a warning');
    await store.close();
  });

  it('deletes segments oldest first, and only once nothing needs them', async () => {
    const options = fresh({ segmentSize: 1024 });
    const { store } = await open(options);
    const big = envelopeFor('big00000000000001', ['x@example.test']);
    await store.enqueue(big, body('b'.repeat(3000)));
    const small = ['small000000000001', 'small000000000002'];
    for (const id of small) await store.enqueue(envelopeFor(id, ['x@example.test']), body('s'.repeat(400)));
    for (const id of small) await store.finish(id);
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(1), segmentName(2), segmentName(3)]);
    assert.equal(store.get(big.id)?.seq, 1);

    await store.compactor!.runOnce();
    // Segment 2 holds nothing queued, but segment 1 before it does (and is too full to be worth
    // copying): deleting 2 alone could let the small messages come back after a crash, were
    // their `done` records in 2 and their messages in 1.
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(1), segmentName(2), segmentName(3)]);
    assert.equal(store.stats.messagesCopied, 0);

    await store.finish(big.id);
    await store.compactor!.runOnce();
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(3)], 'both old segments go; the one being written stays');
    assert.equal(store.stats.segmentsDeleted, 2);
    await store.close();
  });

  it('leaves no segment file behind once the queue is empty and nothing was appended for a whole interval', async () => {
    const options = fresh({ compactIntervalMs: 50 });
    const { store } = await open(options);
    const envelope = envelopeFor('brief000000000001', ['x@example.test']);
    await store.enqueue(envelope, body('brief'));
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(1)]);
    const passes = store.compactor!.stats.passes;
    await until(() => store.compactor!.stats.passes >= passes + 3, 'a few passes');
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(1)], 'a queued message keeps its segment');
    await store.finish(envelope.id);
    await until(async () => (await segmentFiles(options.dir)).length === 0, 'the empty queue leaves no file');
    // The next message starts a new segment.
    await store.enqueue(envelopeFor('later000000000001', ['x@example.test']), body('later'));
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(2)]);
    await store.close();
    assert.deepEqual((await open(options)).messages.map((m) => m.envelope.id), ['later000000000001']);
  });

  it('copies the queued message of a mostly dead oldest segment forward, then deletes what it pinned', async () => {
    const options = fresh({ segmentSize: 2048 });
    const { store } = await open(options);
    const ids = Array.from({ length: 12 }, (_, i) => `seg${String(i).padStart(14, '0')}`);
    for (const id of ids) await store.enqueue(envelopeFor(id, ['x@example.test']), body(`message ${id} ${'z'.repeat(600)}`));
    assert.ok((await segmentFiles(options.dir)).length >= 4);
    for (const id of ids.slice(1)) await store.finish(id);
    await store.compactor!.runOnce();
    assert.equal(store.stats.messagesCopied, 1);
    const copiedTo = store.get(ids[0]!)!.seq;
    assert.ok(copiedTo > 1);
    assert.deepEqual(await segmentFiles(options.dir), [segmentName(copiedTo)]);
    assert.ok((await store.read(ids[0]!)).toString('latin1').includes(`message ${ids[0]}`));
    await store.close();
    assert.deepEqual([...(await onDisk(options.dir)).keys()], [ids[0]]);
  });

  it('copies a long-deferred message forward with its state, which survives a restart', async () => {
    const options = fresh({ segmentSize: 1024, compactIntervalMs: 20 });
    const { store } = await open(options);
    const deferred = envelopeFor('deferred000000001', ['x@example.test', 'y@example.test']);
    await store.enqueue(deferred, body('deferred'));
    const state: MessageState = {
      recipients: [
        { address: 'x@example.test', status: 'delivered', attempts: 1 },
        { address: 'y@example.test', status: 'deferred', attempts: 3, nextAttemptAt: new Date(Date.now() + 3_600_000).toISOString() },
      ],
    };
    await store.saveState(deferred.id, state);
    // Traffic that comes and goes fills later segments.
    for (let i = 0; i < 20; i++) {
      const id = `traffic${String(i).padStart(10, '0')}`;
      await store.enqueue(envelopeFor(id, ['x@example.test']), body(`traffic ${'t'.repeat(300)}`));
      await store.finish(id);
    }
    await until(() => (store.get(deferred.id)?.seq ?? 1) > 1, 'the deferred message is copied forward');
    await until(async () => !(await segmentFiles(options.dir)).includes(segmentName(1)), 'the first segment is deleted');
    await store.close();

    const onDiskNow = (await onDisk(options.dir)).get(deferred.id);
    assert.deepEqual(onDiskNow?.state, state);
    const again = await open(options);
    assert.deepEqual(again.messages.map((m) => [m.envelope.id, m.state]), [[deferred.id, state]], 'the delivered recipient stays delivered');
    assert.ok((await again.store.read(deferred.id)).equals(body('deferred')));
    await again.store.close();
  });
});
