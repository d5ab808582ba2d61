import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import nodemailer from 'nodemailer';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';

describe('SMTP listener with a memory queue', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer(
      {
        timeouts: { hook: 300 },
        plugins: [fixture('memory-queue'), { plugin: fixture('fault'), options: { hook: 'rcpt', mode: 'hang', trigger: 'hang' } }],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('queues a message from nodemailer with a Received header on top', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('mx'), tls: { rejectUnauthorized: false } });
    const info = await transport.sendMail({ from: 'a@example.org', to: 'bob@localhost', subject: 'hi', text: 'hello\n.leading dot\n' });
    assert.match(info.response, /^250 2\.0\.0 Ok: queued as /);
    const last = queued.at(-1)!;
    const text = last.message.toString('latin1');
    assert.match(text, /^Received: from \S+ \(localhost \[127\.0\.0\.1\]\)\r\n\tby mx\.test \(Posthorn\) with ESMTPS/);
    assert.match(text, /\r\n\r\nhello\r\n\.leading dot\r\n$/);
    assert.deepEqual(last.envelope.recipients.map((r) => r.address), ['bob@localhost']);
  });

  it('refuses a recipient nobody accepts with 550 5.7.1', async () => {
    const client = await SmtpClient.open(server.port());
    await client.command('EHLO client.test');
    await client.command('MAIL FROM:<a@example.org>');
    const rcpt = await client.command('RCPT TO:<someone@elsewhere.example>');
    assert.equal(rcpt.code, 550);
    assert.equal(rcpt.enhanced, '5.7.1');
    client.close();
  });

  it('answers 451 4.3.0 when a plugin never answers, and serves others meanwhile', async () => {
    const stuck = await SmtpClient.open(server.port());
    await stuck.command('EHLO client.test');
    await stuck.command('MAIL FROM:<a@example.org>');
    stuck.write('RCPT TO:<hang@localhost>\r\n');
    const other = await SmtpClient.open(server.port());
    const reply = await other.send('Subject: x\r\n\r\nbody\r\n', { from: 'a@example.org', to: ['carol@localhost'] });
    assert.equal(reply.code, 250);
    const late = await stuck.reply();
    assert.equal(late.code, 451);
    assert.equal(late.enhanced, '4.3.0');
    stuck.close();
    other.close();
  });
});
