import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SmtpSink, startDnsServer, startSmtpSink, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { finalNotice, waitForNotice } from './fixtures/probe.ts';
import { messageText, send, startOutboundServer } from './helpers.ts';

/** Servers that stop answering: outbound gives up after its timeouts and never hangs a delivery. */
describe('outbound: servers that hang', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let silent: SmtpSink;
  let working: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    silent = await startSmtpSink({ hostname: 'silent.test', onConnect: () => 'hang' });
    working = await startSmtpSink({ host: '127.0.0.2', port: silent.port, hostname: 'working.test' });
    dns = await startDnsServer({
      'example.test': { MX: [{ exchange: 'silent.test', priority: 10 }, { exchange: 'working.test', priority: 20 }] },
      'stuck.test': { MX: [{ exchange: 'working.test', priority: 10 }] },
      'silent.test': { A: ['127.0.0.1'] },
      'working.test': { A: ['127.0.0.2'] },
    });
    server = await startOutboundServer(dir.path, dns.server, { port: silent.port, timeouts: { greeting: 0.3, socket: 0.3 } });
  });
  after(async () => {
    await server.stop();
    await Promise.all([silent.close(), working.close(), dns.close()]);
    await dir.remove();
  });

  it('moves on to the next MX when the first never greets', async () => {
    const next = working.nextMessage();
    const id = await send(server.port(), messageText('silent'), { from: 'alice@local.test', to: ['bob@example.test'] });
    assert.deepEqual((await next).recipients.map((r) => r.address), ['bob@example.test']);
    assert.equal((await finalNotice(id, 'bob@example.test')).kind, 'delivered');
    assert.ok(silent.connections.total >= 1, 'the silent MX was tried first');
  });

  it('defers a delivery whose server stops answering in DATA, and delivers it later', async () => {
    let calls = 0;
    working.behaviour.onData = (tx) => (tx.recipients.some((r) => r.address === 'carol@stuck.test') && ++calls === 1 ? 'hang' : undefined);
    const id = await send(server.port(), messageText('stuck'), { from: 'alice@local.test', to: ['carol@stuck.test'] });
    const delayed = await waitForNotice((all) => all.find((n) => n.id === id && n.kind === 'delayed'), 'the deferral');
    assert.equal(delayed.code, 451);
    assert.match(delayed.text, /working\.test \[127\.0\.0\.2\]: .*[Tt]imeout/);
    assert.equal((await finalNotice(id, 'carol@stuck.test')).kind, 'delivered');
  });
});
