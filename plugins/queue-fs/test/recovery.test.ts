import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, tempDir, type TestServer } from '@posthorn/testkit';
import { encodeHeader } from '../src/format.ts';
import { deliveries, waitFor } from './fixtures/recorder.ts';
import { envelopeFor, filesOf, messageText, startQueueServer, until } from './helpers.ts';

function messageFile(id: string, recipients: string[], subject: string): { bytes: Buffer; message: Buffer } {
  const message = Buffer.from(messageText(subject), 'latin1');
  return { bytes: Buffer.concat([encodeHeader(envelopeFor(id, recipients), message), message]), message };
}

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

  it('sets damaged files aside with a log line, starts anyway and delivers the good entries', async () => {
    const queueDir = join(dir.path, 'queue');
    await mkdir(queueDir, { recursive: true });
    const good = messageFile('good0000000000001', ['ok-good@example.test'], 'good');
    await writeFile(join(queueDir, 'good0000000000001.msg'), good.bytes);
    // A second good message whose state file is damaged: it starts from scratch.
    const fresh = messageFile('fresh000000000001', ['ok-fresh@example.test'], 'fresh');
    await writeFile(join(queueDir, 'fresh000000000001.msg'), fresh.bytes);
    await writeFile(join(queueDir, 'fresh000000000001.state'), '{"version":1,"id":"fresh0000');

    const truncated = messageFile('trunc000000000001', ['ok-t@example.test'], 'truncated').bytes;
    await writeFile(join(queueDir, 'trunc000000000001.msg'), truncated.subarray(0, truncated.length - 7));
    const badSum = Buffer.from(messageFile('crc00000000000001', ['ok-c@example.test'], 'bad checksum').bytes);
    badSum.writeUInt8(badSum.readUInt8(badSum.length - 3) ^ 0x20, badSum.length - 3);
    await writeFile(join(queueDir, 'crc00000000000001.msg'), badSum);
    await writeFile(join(queueDir, 'garbage0000000001.msg'), Buffer.from('\x00\x01this is not a queue file\xff'));
    const badJson = Buffer.from('posthorn-queue 1\n{"size":3,"crc32":1,"envelope":\n');
    await writeFile(join(queueDir, 'json0000000000001.msg'), badJson);
    await writeFile(join(queueDir, 'left000000000001.state.tmp'), '{"version":1');
    await writeFile(join(queueDir, 'orphan00000000001.state'), '{}');

    const logs = captureLogs('info');
    server = await startQueueServer(dir.path, { dir: queueDir }, logs.logger);

    const [deliveredGood, deliveredFresh] = await waitFor(() => {
      const g = deliveries.find((d) => d.id === 'good0000000000001');
      const f = deliveries.find((d) => d.id === 'fresh000000000001');
      return g && f ? ([g, f] as const) : undefined;
    }, 10_000, 'the good messages');
    assert.ok(deliveredGood.bytes.equals(good.message));
    assert.ok(deliveredFresh.bytes.equals(fresh.message));
    await until(async () => (await readdir(queueDir)).every((name) => name === 'corrupt' || name === 'lock'), 'only corrupt/ and the lock remain');

    assert.deepEqual((await readdir(join(queueDir, 'corrupt'))).sort(), [
      'crc00000000000001.msg',
      'fresh000000000001.state',
      'garbage0000000001.msg',
      'json0000000000001.msg',
      'left000000000001.state.tmp',
      'trunc000000000001.msg',
    ]);
    const reasons = Object.fromEntries(logs.find('queue file set aside as corrupt').map((line) => [line.file, line.reason]));
    assert.equal(reasons['crc00000000000001.msg'], 'checksum mismatch');
    assert.equal(reasons['garbage0000000001.msg'], 'bad magic');
    assert.equal(reasons['json0000000000001.msg'], 'bad header JSON');
    assert.equal(reasons['left000000000001.state.tmp'], 'leftover temporary file');
    assert.match(String(reasons['trunc000000000001.msg']), /^length mismatch/);
    assert.ok(logs.find('corrupt queue state ignored; delivery state starts afresh').some((line) => line.file === 'fresh000000000001.state'));
    assert.ok(logs.lines.every((line) => line.level !== 'error' && line.level !== 'fatal'), 'nothing worse than a warning');
    assert.deepEqual(await filesOf(queueDir, 'orphan00000000001'), [], 'an orphan state is removed');
    assert.equal(deliveries.filter((d) => d.id === 'trunc000000000001' || d.id === 'crc00000000000001').length, 0);
  });
});
