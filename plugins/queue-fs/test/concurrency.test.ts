import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, tempDir, type TestServer } from '@posthorn/testkit';
import { deliveries, waitFor } from './fixtures/recorder.ts';
import { send, startQueueServer } from './helpers.ts';

/** A deterministic message of about `size` bytes, CRLF lines under 1000 octets, unique per seed. */
function makeMessage(seed: number, size: number): Buffer {
  let state = seed * 2654435761 + 1;
  const lines = [`From: sender${seed}@example.org`, `To: ok-load@example.test`, `Subject: load ${seed}`, ''];
  let length = lines.join('\r\n').length;
  while (length < size) {
    let line = '';
    const width = 1 + (state % 200);
    for (let i = 0; i < width; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      line += String.fromCharCode(32 + ((state >>> 16) % 95));
    }
    lines.push(line);
    length += line.length + 2;
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

describe('queue-fs: many concurrent messages (group commit)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | undefined;
  const logs = captureLogs('info');

  before(async () => {
    dir = await tempDir();
    server = await startQueueServer(dir.path, { dir: join(dir.path, 'queue') }, logs.logger);
  });
  after(async () => {
    await server?.stop();
    await dir.remove();
  });

  it('stores and delivers 200 messages from 20 parallel clients byte for byte', async () => {
    const clients = 20;
    const perClient = 10;
    const sent = new Map<string, Buffer>();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let m = 0; m < perClient; m++) {
          const seed = c * perClient + m;
          // Mostly small messages, some of a few hundred kilobytes.
          const message = makeMessage(seed, seed % 17 === 0 ? 300_000 + seed * 100 : 200 + seed * 37);
          const id = await send(server!.port(), message, { from: `sender${seed}@example.org`, to: ['ok-load@example.test'] });
          sent.set(id, message);
        }
      }),
    );
    assert.equal(sent.size, clients * perClient);
    await waitFor(() => [...sent.keys()].every((id) => deliveries.some((d) => d.id === id)), 30_000, 'every delivery');
    for (const [id, original] of sent) {
      const got = deliveries.filter((d) => d.id === id);
      assert.equal(got.length, 1, `${id} delivered once`);
      const bytes = got[0]!.bytes;
      // The stored message is the one sent with the server's Received field on top.
      assert.ok(bytes.subarray(bytes.length - original.length).equals(original), `${id} intact`);
      assert.match(bytes.subarray(0, bytes.length - original.length).toString('latin1'), /^Received: [^]*\r\n$/);
    }
    await server!.stop();
    server = undefined;
    // Group commit: concurrent messages (and their `done` records) share writes and syncs.
    const stats = logs.find('queue stopped')[0]!;
    assert.equal(stats.records, 400, 'one message record and one done record per message');
    assert.ok((stats.batches as number) < 400, `${stats.batches} batches for ${stats.records} records`);
  });
});
