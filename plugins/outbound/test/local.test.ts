import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { fixture, SmtpClient, type SmtpSink, startDnsServer, startSmtpSink, startTestServer, tempDir, type TestDnsServer, type TestServer } from '@posthorn/testkit';
import { outcomes } from '@posthorn/testkit/fixtures/deliver-now.ts';
import { probePlugin } from './helpers.ts';

const localDomains = fileURLToPath(new URL('./fixtures/local-domains.ts', import.meta.url));

/** Deliveries run inside the SMTP transaction (deliver-now), with an Accounts service present. */
describe('outbound: local and remote recipients', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    sink = await startSmtpSink({ hostname: 'mx.example.test' });
    dns = await startDnsServer({ 'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] }, 'mx.example.test': { A: ['127.0.0.1'] } });
    server = await startTestServer(
      {
        dns: { servers: [dns.server], timeout: 500, tries: 1 },
        plugins: [fixture('deliver-now'), localDomains, { plugin: 'outbound', options: { port: sink.port } }, probePlugin],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await Promise.all([sink.close(), dns.close()]);
    await dir.remove();
  });

  it('delivers a remote recipient and answers with the remote reply', async () => {
    const client = await SmtpClient.open(server.port());
    const reply = await client.send('Subject: remote\r\n\r\nhi\r\n', { from: 'alice@local.test', to: ['bob@example.test'] });
    client.close();
    assert.equal(reply.code, 250);
    const outcome = outcomes.at(-1)!;
    assert.equal(outcome.recipient, 'bob@example.test');
    assert.equal(outcome.outcome.by, 'outbound');
    assert.equal(outcome.outcome.verdict.action, 'accept');
    assert.equal(sink.messages.length, 1);
  });

  it('leaves recipients of local domains alone (Accounts says local)', async () => {
    const client = await SmtpClient.open(server.port());
    const reply = await client.send('Subject: local\r\n\r\nhi\r\n', { from: 'alice@local.test', to: ['carol@LOCAL.test'] });
    client.close();
    // Nobody else delivers here, so the core's "no route" answer comes back, not outbound's.
    assert.equal(reply.code, 451);
    assert.equal(outcomes.at(-1)!.outcome.by, 'core');
    assert.equal(sink.messages.length, 1);
  });

  it('delivers to an address literal without DNS', async () => {
    const queries = dns.queries.length;
    const client = await SmtpClient.open(server.port());
    const reply = await client.send('Subject: literal\r\n\r\nhi\r\n', { from: 'alice@local.test', to: ['dave@[127.0.0.1]'] });
    client.close();
    assert.equal(reply.code, 250);
    assert.deepEqual(sink.messages.at(-1)!.recipients.map((r) => r.address), ['dave@[127.0.0.1]']);
    assert.equal(dns.queries.length, queries);
  });
});
