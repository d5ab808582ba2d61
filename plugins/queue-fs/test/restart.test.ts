import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TestServer } from '@posthorn/testkit';
import { encodeHeader } from '../src/format.ts';
import { bounces, deliveries, overrides, waitFor } from './fixtures/recorder.ts';
import { envelopeFor, filesOf, messageText, send, startQueueServer, until } from './helpers.ts';

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
      try {
        const state = JSON.parse(await readFile(join(queueDir, `${id}.state`), 'utf8'));
        return state.recipients[0].status === 'delivered' && state.recipients[1].status === 'deferred';
      } catch {
        return false;
      }
    }, 'the first round is saved');
    await server.stop();
    server = undefined;

    // A message that got its 250 just before the stop and was never attempted: only its .msg exists.
    const pendingId = 'pending00000000001';
    const message = Buffer.from(messageText('never attempted'), 'latin1');
    await writeFile(join(queueDir, `${pendingId}.msg`), Buffer.concat([encodeHeader(envelopeFor(pendingId, ['ok-p@example.test']), message), message]));

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
    await until(async () => (await filesOf(queueDir, id)).length === 0 && (await filesOf(queueDir, pendingId)).length === 0, 'both messages leave the queue');
    assert.equal(deliveries.filter((d) => d.id === id && d.address === 'ok-r@example.test').length, 1, 'delivered once only');
    assert.equal(bounces.length, 0);
    await server.stop();
    server = undefined;
  });

  it('finishes after a restart a message whose bounce was recorded, without bouncing again', async () => {
    const queueDir = join(dir.path, 'queue2');
    const id = 'bounced0000000001';
    const envelope = envelopeFor(id, ['fail-x@example.test']);
    const message = Buffer.from(messageText('already bounced'), 'latin1');
    await mkdir(queueDir, { recursive: true });
    await writeFile(join(queueDir, `${id}.msg`), Buffer.concat([encodeHeader(envelope, message), message]));
    const at = new Date().toISOString();
    await writeFile(
      join(queueDir, `${id}.state`),
      JSON.stringify({
        version: 1,
        id,
        recipients: [{ address: 'fail-x@example.test', status: 'failed', attempts: 1, lastReply: { code: 550, enhanced: '5.1.1', lines: ['No such user'], at, by: 'test-recorder' } }],
        bouncedAt: at,
      }),
    );
    server = await startQueueServer(dir.path, { dir: queueDir });
    await until(async () => (await filesOf(queueDir, id)).length === 0, 'the finished message is removed');
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
    const message = Buffer.from(messageText('bounce me'), 'latin1');
    await writeFile(join(queueDir, `${id}.msg`), Buffer.concat([encodeHeader(envelope, message), message]));
    const at = new Date().toISOString();
    await writeFile(
      join(queueDir, `${id}.state`),
      JSON.stringify({
        version: 1,
        id,
        recipients: [
          { address: 'fail-y@example.test', status: 'failed', attempts: 1, lastReply: { code: 550, enhanced: '5.1.1', lines: ['No such user'], at, by: 'test-recorder' } },
          { address: 'ok-y@example.test', status: 'delivered', attempts: 1 },
        ],
      }),
    );
    server = await startQueueServer(dir.path, { dir: queueDir });
    const bounce = await waitFor(() => bounces.find((b) => b.id === id), 10_000, 'the bounce');
    assert.deepEqual(bounce.failures.map((f) => [f.address, f.reason, f.code]), [['fail-y@example.test', 'failed', 550]]);
    await until(async () => (await filesOf(queueDir, id)).length === 0, 'the message is removed');
    assert.equal(deliveries.filter((d) => d.id === id).length, 0, 'final recipients are not attempted again');
  });
});
