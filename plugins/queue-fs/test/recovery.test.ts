import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, tempDir, type TestServer } from '@posthorn/testkit';
import { encodeMessage, encodeState } from '../src/format.ts';
import { segmentName } from '../src/segment-files.ts';
import { deliveries, waitFor } from './fixtures/recorder.ts';
import { envelopeFor, messageText, onDisk, startQueueServer, until, writeSegment } from './helpers.ts';

const messageRecord = (id: string, to: string, subject: string) => {
  const message = Buffer.from(messageText(subject), 'latin1');
  return { parts: encodeMessage(envelopeFor(id, [to]), message), message };
};

describe('queue-fs: recovery at start', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | undefined;

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await server?.stop();
    await dir.remove();
  });

  it('sets damaged records aside with a log line, starts anyway and delivers the good entries', async () => {
    const queueDir = join(dir.path, 'queue');
    await mkdir(queueDir, { recursive: true });
    const good = messageRecord('good0000000000001', 'ok-good@example.test', 'good');
    const damaged = messageRecord('crc00000000000001', 'ok-c@example.test', 'bad checksum');
    const after1 = messageRecord('after000000000001', 'ok-after@example.test', 'after the damage');
    // A state record that verifies but does not fit its message: ignored, the message starts afresh.
    const fresh = messageRecord('fresh000000000001', 'ok-fresh@example.test', 'fresh');
    const misfit = encodeState('fresh000000000001', { recipients: [] });
    const first = await writeSegment(queueDir, 1, [good.parts, damaged.parts, after1.parts, fresh.parts, misfit]);
    const bytes = await readFile(first);
    const damagedAt = Buffer.concat(good.parts).length;
    bytes[damagedAt + Buffer.concat(damaged.parts).length - 3]! ^= 0x20;
    await writeFile(first, bytes);

    // The second segment ends in a record cut short by a crash.
    const torn = messageRecord('trunc000000000001', 'ok-t@example.test', 'truncated');
    const whole = messageRecord('whole000000000001', 'ok-w@example.test', 'whole');
    const second = await writeSegment(queueDir, 2, [whole.parts, torn.parts]);
    const secondSize = (await stat(second)).size;
    await writeFile(second, (await readFile(second)).subarray(0, secondSize - 7));
    // Files that are not segments are left alone.
    await writeFile(join(queueDir, 'old0000000000001.msg'), 'posthorn-queue 1\n{}\n');
    await writeFile(join(queueDir, 'stray.txt'), 'x');

    const logs = captureLogs('info');
    server = await startQueueServer(dir.path, { dir: queueDir }, logs.logger);

    const expected = new Map([
      ['good0000000000001', good.message],
      ['after000000000001', after1.message],
      ['fresh000000000001', fresh.message],
      ['whole000000000001', whole.message],
    ]);
    await waitFor(() => [...expected.keys()].every((id) => deliveries.some((d) => d.id === id)), 10_000, 'the good messages');
    for (const [id, message] of expected) assert.ok(deliveries.find((d) => d.id === id)!.bytes.equals(message), `${id} intact`);
    await until(async () => (await onDisk(queueDir)).size === 0, 'the log says nothing is queued');
    assert.equal(deliveries.filter((d) => d.id === 'trunc000000000001' || d.id === 'crc00000000000001').length, 0);

    const setAside = logs.find('queue file set aside as corrupt').map((line) => [line.file, line.offset, line.reason, line.tail]);
    const tornAt = Buffer.concat(whole.parts).length;
    assert.deepEqual(setAside, [
      [segmentName(1), damagedAt, 'checksum mismatch', false],
      [segmentName(2), tornAt, 'truncated record', true],
    ]);
    assert.deepEqual((await readdir(join(queueDir, 'corrupt'))).sort(), [`${segmentName(1)}.${damagedAt}`, `${segmentName(2)}.${tornAt}`]);
    assert.ok((await readFile(join(queueDir, 'corrupt', `${segmentName(1)}.${damagedAt}`))).length === Buffer.concat(damaged.parts).length, 'the damaged record is kept whole');
    assert.ok(logs.find('queue record ignored: it verifies but cannot be used').some((line) => line.type === 'state'));
    assert.ok(logs.find(/old one-file-per-message format/).some((line) => line.file === 'old0000000000001.msg'));
    assert.ok(logs.find('unknown file in the queue directory left alone').some((line) => line.file === 'stray.txt'));
    assert.ok(logs.lines.every((line) => line.level !== 'error' && line.level !== 'fatal'), 'nothing worse than a warning');
  });
});
