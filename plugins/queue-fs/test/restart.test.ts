import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TestServer } from '@posthorn/testkit';
import { encodeMessage, encodeState } from '../src/format.ts';
import { bounces, deliveries, overrides, waitFor } from './fixtures/recorder.ts';
import { envelopeFor, messageText, nextSegment, queuedOnDisk, send, startQueueServer, until, writeSegment } from './helpers.ts';

describe('queue-fs: restart on the same directory', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer | undefined;

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await server?.stop();
    await dir.remove();
  });

  it('continues pending and deferred entries and never delivers a delivered recipient again', async () => {
    const queueDir = join(dir.path, 'queue');
    const options = { dir: queueDir, retry: { initial: 3600, factor: 2, max: 7200, jitter: 0 } };
    server = await startQueueServer(dir.path, options);
    const id = await send(server.port(), messageText('survives a restart'), { from: 'alice@example.org', to: ['ok-r@example.test', 'defer-r@example.test'] });
    await until(async () => {
      const recipients = (await queuedOnDisk(queueDir, id))?.state?.recipients;
      return recipients?.[0]?.status === 'delivered' && recipients[1]?.status === 'deferred';
    }, 'the first round is saved');
    await server.stop();
    server = undefined;

    // A message that got its 250 just before the stop and was never attempted: only its record exists.
    const pendingId = 'pending00000000001';
    const message = Buffer.from(messageText('never attempted'), 'latin1');
    await writeSegment(queueDir, await nextSegment(queueDir), [encodeMessage(envelopeFor(pendingId, ['ok-p@example.test']), message)]);

    overrides.set('defer-r@example.test', 'accept');
    server = await startQueueServer(dir.path, options);
    const pending = await waitFor(() => deliveries.find((d) => d.id === pendingId), 10_000, 'the pending message');
    assert.equal(pending.attempt, 1);
    assert.ok(pending.bytes.equals(message));

    const entry = (await server.app.admin('queue.list')) as { id: string; recipients: { status: string; attempts: number }[] }[];
    const mine = entry.find((e) => e.id === id)!;
    assert.deepEqual(mine.recipients.map((r) => [r.status, r.attempts]), [['delivered', 1], ['deferred', 1]], 'state carried over');

    await server.app.admin('queue.retry', { id });
    const second = await waitFor(() => deliveries.find((d) => d.id === id && d.address === 'defer-r@example.test' && d.result === 'accept'), 10_000, 'the deferred recipient');
    assert.equal(second.attempt, 2, 'the attempt count continues');
    await until(async () => (await queuedOnDisk(queueDir, id)) === undefined && (await queuedOnDisk(queueDir, pendingId)) === undefined, 'both messages leave the queue');
    assert.equal(deliveries.filter((d) => d.id === id && d.address === 'ok-r@example.test').length, 1, 'delivered once only');
    assert.equal(bounces.length, 0);
    await server.stop();
    server = undefined;
  });

  it('finishes after a restart a message whose bounce was recorded, without bouncing again', async () => {
    const queueDir = join(dir.path, 'queue2');
    const id = 'bounced0000000001';
    const envelope = envelopeFor(id, ['fail-x@example.test']);
    const at = new Date().toISOString();
    await mkdir(queueDir, { recursive: true });
    await writeSegment(queueDir, 1, [
      encodeMessage(envelope, Buffer.from(messageText('already bounced'), 'latin1')),
      encodeState(id, {
        recipients: [{ address: 'fail-x@example.test', status: 'failed', attempts: 1, lastReply: { code: 550, enhanced: '5.1.1', lines: ['No such user'], at, by: 'test-recorder' } }],
        bouncedAt: at,
      }),
    ]);
    server = await startQueueServer(dir.path, { dir: queueDir });
    await until(async () => (await queuedOnDisk(queueDir, id)) === undefined, 'the finished message leaves the queue');
    assert.equal(bounces.filter((b) => b.id === id).length, 0);
    assert.equal(deliveries.filter((d) => d.id === id).length, 0);
    await server.stop();
    server = undefined;
  });

  it('bounces after a restart a message that failed but was not bounced yet', async () => {
    const queueDir = join(dir.path, 'queue3');
    await mkdir(queueDir, { recursive: true });
    const id = 'unbounced00000001';
    const envelope = envelopeFor(id, ['fail-y@example.test', 'ok-y@example.test']);
    const at = new Date().toISOString();
    await writeSegment(queueDir, 1, [
      encodeMessage(envelope, Buffer.from(messageText('bounce me'), 'latin1')),
      encodeState(id, {
        recipients: [
          { address: 'fail-y@example.test', status: 'failed', attempts: 1, lastReply: { code: 550, enhanced: '5.1.1', lines: ['No such user'], at, by: 'test-recorder' } },
          { address: 'ok-y@example.test', status: 'delivered', attempts: 1 },
        ],
      }),
    ]);
    server = await startQueueServer(dir.path, { dir: queueDir });
    const bounce = await waitFor(() => bounces.find((b) => b.id === id), 10_000, 'the bounce');
    assert.deepEqual(bounce.failures.map((f) => [f.address, f.reason, f.code]), [['fail-y@example.test', 'failed', 550]]);
    await until(async () => (await queuedOnDisk(queueDir, id)) === undefined, 'the message leaves the queue');
    assert.equal(deliveries.filter((d) => d.id === id).length, 0, 'final recipients are not attempted again');
    await server.stop();
    server = undefined;
    // Restarted once more: the `done` record keeps it from bouncing again.
    server = await startQueueServer(dir.path, { dir: queueDir });
    assert.equal((await server.app.admin('queue.list') as unknown[]).length, 0);
    assert.equal(bounces.filter((b) => b.id === id).length, 1, 'bounced exactly once');
  });
});
