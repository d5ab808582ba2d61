import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from '@posthorn/contracts';
import { App, parseConfig, silentLogger } from '@posthorn/core';
import { tempDir, type TestServer } from '@posthorn/testkit';
import { bounces, deliveries, overrides, waitFor } from './fixtures/recorder.ts';
import { envelopeFor, messageText, queuedOnDisk, recorderPlugin, send, startQueueServer, until } from './helpers.ts';

type Summary = { id: string; from: string; recipients: { address: string; status: string; attempts: number; nextAttemptAt: string | null; lastReply: string | null; lastReplyBy: string | null }[] };

describe('queue-fs: the Queue service and the queue.* admin commands', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let queueDir: string;
  const queueOptions = () => ({ dir: queueDir, retry: { initial: 3600, factor: 2, max: 7200, jitter: 0 } });

  before(async () => {
    dir = await tempDir();
    queueDir = join(dir.path, 'queue');
    server = await startQueueServer(dir.path, queueOptions());
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  const adminApp = () =>
    App.create(parseConfig({ hostname: 'mx.test', control: { enabled: false }, plugins: [{ plugin: 'queue-fs', options: queueOptions() }, recorderPlugin] }, undefined, dir.path), {
      mode: 'admin',
      logger: silentLogger(),
    });

  it('lists, shows, retries and deletes queued messages', async () => {
    const first = await send(server.port(), messageText('first'), { from: 'alice@example.org', to: ['defer-a@example.test', 'ok-a@example.test'] });
    const second = await send(server.port(), messageText('second'), { from: 'bob@example.org', to: ['defer-b@example.test'] });
    await waitFor(() => deliveries.some((d) => d.id === second) && deliveries.filter((d) => d.id === first).length === 2, 10_000, 'first attempts');
    await until(async () => (await queuedOnDisk(queueDir, first))?.state !== undefined && (await queuedOnDisk(queueDir, second))?.state !== undefined, 'states written');

    const list = (await server.app.admin('queue.list')) as Summary[];
    const mine = list.filter((e) => e.id === first || e.id === second);
    assert.deepEqual(mine.map((e) => e.id), [first, second]);
    const [a, b] = mine[0]!.recipients;
    assert.equal(a!.status, 'deferred');
    assert.equal(a!.attempts, 1);
    assert.ok(Date.parse(a!.nextAttemptAt!) > Date.now() + 3_000_000, 'next attempt an hour out');
    assert.equal(a!.lastReply, '451 4.2.0 Mailbox busy, try later');
    assert.equal(a!.lastReplyBy, 'test-recorder');
    assert.equal(b!.status, 'delivered');

    const shown = (await server.app.admin('queue.show', { id: second })) as { header: string; from: string };
    assert.equal(shown.from, 'bob@example.org');
    assert.match(shown.header, /Subject: second/);

    overrides.set('defer-a@example.test', 'accept');
    assert.deepEqual(await server.app.admin('queue.retry', { id: first }), { retried: 1 });
    const retried = await waitFor(() => deliveries.find((d) => d.id === first && d.address === 'defer-a@example.test' && d.result === 'accept'), 10_000, 'the retried delivery');
    assert.equal(retried.attempt, 2);
    await until(async () => (await queuedOnDisk(queueDir, first)) === undefined, 'the first message is gone');
    assert.equal(deliveries.filter((d) => d.id === first && d.address === 'ok-a@example.test').length, 1, 'a delivered recipient is not delivered again');

    assert.deepEqual(await server.app.admin('queue.delete', { id: second }), { deleted: second });
    assert.equal(await queuedOnDisk(queueDir, second), undefined, 'the removal is durable when the command answers');
    await assert.rejects(server.app.admin('queue.delete', { id: second }), /no queued message/);
    await assert.rejects(server.app.admin('queue.show', { id: second }), /no queued message/);
    assert.equal(bounces.filter((x) => x.id === second).length, 0, 'a deleted message is not bounced');
  });

  it('treats enqueueing an id that is already queued as a no-op success', async () => {
    const queue = server.app.services.get(Queue)!;
    const id = 'idem0000000000001';
    const envelope = envelopeFor(id, ['defer-idem@example.test']);
    const message = Buffer.from(messageText('idempotent'), 'latin1');
    await Promise.all([queue.enqueue(envelope, message), queue.enqueue(envelope, message)]);
    await queue.enqueue(envelope, Buffer.from('a different body\r\n'));
    assert.ok(await queuedOnDisk(queueDir, id));
    assert.ok((await queue.read(id)).equals(message), 'the first copy stays');
    assert.equal((await queue.list()).filter((e) => e.envelope.id === id).length, 1);
    await waitFor(() => deliveries.some((d) => d.id === id), 10_000, 'the attempt');
    assert.equal(deliveries.filter((d) => d.id === id).length, 1, 'attempted once, not once per enqueue');
    assert.equal(await queue.remove(id), true);
  });

  it('refuses a bad queue id', async () => {
    const queue = server.app.services.get(Queue)!;
    await assert.rejects(queue.enqueue(envelopeFor('../escape', ['ok@example.test']), Buffer.from('x\r\n')), /bad envelope/);
    assert.equal(await queue.get('../escape'), null);
  });

  it('in admin mode reads the files, and refuses changes while the server holds the queue', async () => {
    const id = await send(server.port(), messageText('admin mode'), { from: 'carol@example.org', to: ['defer-admin@example.test'] });
    await until(async () => (await queuedOnDisk(queueDir, id))?.state !== undefined, 'the state record');
    const admin = await adminApp();
    try {
      const list = (await admin.admin('queue.list')) as Summary[];
      const entry = list.find((e) => e.id === id);
      assert.ok(entry);
      assert.equal(entry.recipients[0]!.status, 'deferred');
      assert.equal(entry.recipients[0]!.attempts, 1);
      assert.match(((await admin.admin('queue.show', { id })) as { header: string }).header, /Subject: admin mode/);
      await assert.rejects(admin.admin('queue.retry', { id }), /locked by another server in this process/);
      await assert.rejects(admin.admin('queue.delete', { id }), /locked/);
      assert.ok(await queuedOnDisk(queueDir, id), 'still queued');
    } finally {
      await admin.stop();
    }

    await server.stop();
    const offline = await adminApp();
    try {
      assert.deepEqual(await offline.admin('queue.retry', { id }), { retried: 1 });
      const [recipient] = (await offline.services.get(Queue)!.get(id))!.recipients;
      assert.ok(Date.parse(recipient!.nextAttemptAt!) <= Date.now(), 'due now');
      assert.equal(recipient!.attempts, 1, 'attempts kept');
      assert.equal(recipient!.status, 'deferred');
      assert.deepEqual(await offline.admin('queue.retry', { id: 'nosuch00000000001' }), { retried: 0 });
      assert.deepEqual(await offline.admin('queue.delete', { id }), { deleted: id });
      assert.equal(await queuedOnDisk(queueDir, id), undefined);
      await assert.rejects(offline.admin('queue.delete', { id }), /no queued message/);
      assert.ok(!(await readdir(queueDir)).includes('lock'), 'the admin command released its lock');
    } finally {
      await offline.stop();
      server = await startQueueServer(dir.path, queueOptions());
    }
  });
});
