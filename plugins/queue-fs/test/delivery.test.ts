import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, SmtpClient, tempDir, type TestServer } from '@posthorn/testkit';
import { readStoredMessage } from '../src/message-reader.ts';
import { bounces, control, deliveries, notices, overrides, waitFor } from './fixtures/recorder.ts';
import { messageText, queuedOnDisk, send, startQueueServer, until } from './helpers.ts';

describe('queue-fs: accept, deliver, retry, bounce', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let queueDir: string;
  const logs = captureLogs('debug');

  before(async () => {
    dir = await tempDir();
    queueDir = join(dir.path, 'queue');
    server = await startQueueServer(dir.path, { dir: queueDir, retry: { initial: 0.05, factor: 1, max: 0.05, jitter: 0 }, maxAge: 3600 }, logs.logger);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  const gone = (id: string) => until(async () => (await queuedOnDisk(queueDir, id)) === undefined, `${id} has left the queue on disk`);

  it('has the message on disk when 250 arrives, delivers it, then removes it', async () => {
    const address = 'held@example.test';
    overrides.set(address, 'defer');
    const text = messageText('on disk');
    const id = await send(server.port(), text, { from: 'alice@example.org', to: [address] });
    // Read at once, before anything else can happen: the 250 promised this record.
    const record = await queuedOnDisk(queueDir, id);
    assert.ok(record, 'the message record is in the log');
    assert.equal(record.envelope.id, id);
    assert.equal(record.envelope.mailFrom, 'alice@example.org');
    assert.deepEqual(record.envelope.recipients.map((r) => r.address), [address]);
    const stored = await readStoredMessage(queueDir, record);
    assert.ok(stored.toString('latin1').endsWith(text));
    assert.match(stored.toString('latin1'), /^Received: /);

    await waitFor(() => deliveries.some((d) => d.id === id && d.result === 'defer'), 10_000, 'a deferred attempt');
    overrides.delete(address);
    const delivered = await waitFor(() => deliveries.find((d) => d.id === id && d.result === 'accept'), 10_000, 'the delivery');
    assert.ok(delivered.bytes.equals(stored), 'the deliverer reads the stored bytes');
    assert.ok(delivered.attempt >= 2);
    await gone(id);
  });

  it('retries a 4xx and delivers later, keeping the attempt count', async () => {
    const id = await send(server.port(), messageText('flaky'), { from: 'alice@example.org', to: ['flaky@example.test'] });
    const delivered = await waitFor(() => deliveries.find((d) => d.id === id && d.result === 'accept'), 10_000, 'the second attempt');
    assert.equal(delivered.attempt, 2);
    assert.deepEqual(deliveries.filter((d) => d.id === id).map((d) => [d.attempt, d.result]), [[1, 'defer'], [2, 'accept']]);
    await gone(id);
    assert.equal(bounces.filter((b) => b.id === id).length, 0);
  });

  it('bounces a 5xx once, with the failed recipient and the reason, and delivers the others', async () => {
    const id = await send(server.port(), messageText('mixed'), { from: 'alice@example.org', to: ['ok-mixed@example.test', 'fail-mixed@example.test'] });
    const bounce = await waitFor(() => bounces.find((b) => b.id === id), 10_000, 'the bounce');
    assert.deepEqual(bounce.failures, [{ address: 'fail-mixed@example.test', reason: 'failed', code: 550, enhanced: '5.1.1', by: 'test-recorder' }]);
    assert.match(bounce.bytes.toString('latin1'), /Subject: mixed/);
    await gone(id);
    assert.equal(bounces.filter((b) => b.id === id).length, 1);
    assert.deepEqual(deliveries.filter((d) => d.id === id).map((d) => `${d.address} ${d.result}`).sort(), ['fail-mixed@example.test fail', 'ok-mixed@example.test accept']);
  });

  it('never bounces a message from the null sender, and still removes it', async () => {
    const client = await SmtpClient.open(server.port());
    await client.command('EHLO client.test');
    assert.equal((await client.command('MAIL FROM:<>')).code, 250);
    assert.equal((await client.command('RCPT TO:<fail-null@example.test>')).code, 250);
    assert.equal((await client.command('DATA')).code, 354);
    client.write(`${messageText('null sender')}.\r\n`);
    const reply = await client.reply();
    client.close();
    assert.equal(reply.code, 250);
    const id = /queued as (\S+)/.exec(reply.lines.at(-1)!)![1]!;
    await waitFor(() => deliveries.find((d) => d.id === id && d.result === 'fail'), 10_000, 'the failed attempt');
    await gone(id);
    assert.equal(bounces.filter((b) => b.id === id).length, 0);
    assert.ok(logs.find('not bouncing a message from the null sender').some((line) => line.tid === id));
  });

  it('records attempts, the next attempt time and the last reply with who gave it', async () => {
    const address = 'defer-state@example.test';
    const id = await send(server.port(), messageText('state'), { from: 'alice@example.org', to: [address] });
    await waitFor(() => deliveries.filter((d) => d.id === id).length >= 2, 10_000, 'two attempts');
    await until(async () => (await queuedOnDisk(queueDir, id))?.state !== undefined, 'a state record is in the log');
    const rcpt = (await queuedOnDisk(queueDir, id))!.state!.recipients[0]!;
    assert.equal(rcpt.address, address);
    assert.equal(rcpt.status, 'deferred');
    assert.ok(rcpt.attempts >= 1);
    assert.ok(!Number.isNaN(Date.parse(rcpt.nextAttemptAt ?? '')));
    assert.equal(rcpt.lastReply?.code, 451);
    assert.equal(rcpt.lastReply?.by, 'test-recorder');
    assert.equal(await server.app.admin('queue.delete', { id }).then(() => true), true);
    await gone(id);
  });

  it('tells the delayed and delivered hooks about each outcome', async () => {
    const id = await send(server.port(), messageText('notices'), { from: 'alice@example.org', to: ['flaky-notice@example.test'] });
    await waitFor(() => notices.includes(`delivered ${id} flaky-notice@example.test 250`), 10_000, 'the delivered notice');
    assert.ok(notices.includes(`delayed ${id} flaky-notice@example.test 451 attempts=1`), notices.join('\n'));
    await gone(id);
  });

  it('keeps a message whose bounce failed and bounces it again later', async () => {
    control.failBounces = 1;
    const id = await send(server.port(), messageText('bounce retry'), { from: 'alice@example.org', to: ['fail-retry@example.test'] });
    await waitFor(() => notices.includes(`bounce-failed ${id}`), 10_000, 'the failed bounce');
    assert.ok(await queuedOnDisk(queueDir, id), 'the message stays queued after a failed bounce');
    await waitFor(() => bounces.some((b) => b.id === id), 10_000, 'the second bounce');
    await gone(id);
    assert.equal(bounces.filter((b) => b.id === id).length, 1);
  });
});

describe('queue-fs: expiry', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startQueueServer(dir.path, { dir: join(dir.path, 'queue'), retry: { initial: 0.05, factor: 2, max: 0.1, jitter: 0 }, maxAge: 0.3 });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('bounces a recipient still deferred past maxAge with reason expired and the last temporary reply', async () => {
    const id = await send(server.port(), messageText('expiring'), { from: 'alice@example.org', to: ['defer-expire@example.test'] });
    const bounce = await waitFor(() => bounces.find((b) => b.id === id), 10_000, 'the expiry bounce');
    assert.deepEqual(bounce.failures, [{ address: 'defer-expire@example.test', reason: 'expired', code: 451, enhanced: '4.2.0', by: 'test-recorder' }]);
    assert.ok(deliveries.filter((d) => d.id === id).length >= 2, 'retried before expiring');
    await until(async () => (await queuedOnDisk(join(dir.path, 'queue'), id)) === undefined, 'the expired message leaves the queue');
    assert.equal(bounces.filter((b) => b.id === id).length, 1);
  });

});
