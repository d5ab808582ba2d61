import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import nodemailer from 'nodemailer';

const PASSWORD = 'sender policy password';

// sales@ is alice's alias (hers alone, so it is in her Account.addresses); team@ is a list
// alias of alice and bob, which is nobody's own address.
const ACCOUNTS = `domains: [example.test]
users: {}
aliases:
  sales@example.test: alice@example.test
  team@example.test: [alice@example.test, bob@example.test]
`;

async function startServer(senderPolicy: Record<string, unknown>): Promise<{ server: TestServer; stop(): Promise<void> }> {
  const dir = await tempDir();
  await writeFile(join(dir.path, 'accounts.yaml'), ACCOUNTS);
  const server = await startTestServer(
    {
      listeners: [
        { name: 'mx', role: 'mx' },
        { name: 'submission', role: 'submission' },
      ],
      plugins: [
        { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
        { plugin: 'auth', options: { baseDelayMs: 0 } },
        'relay',
        { plugin: 'sender-policy', options: senderPolicy },
        fileURLToPath(new URL('./from-fixer.ts', import.meta.url)),
        { plugin: fixture('memory-queue'), options: { domains: ['example.test'] } },
      ],
    },
    { dir: dir.path },
  );
  for (const address of ['alice@example.test', 'bob@example.test']) await server.app.admin('user.add', { address, password: PASSWORD });
  return {
    server,
    stop: async () => {
      await server.stop();
      await dir.remove();
    },
  };
}

/** Clients a test opened; closed after it, or before its own server stops (which waits for them). */
const open: SmtpClient[] = [];
function closeClients(): void {
  for (const client of open.splice(0)) client.close();
}
afterEach(closeClients);

/** Submission after STARTTLS and AUTH PLAIN. */
async function login(port: number, user = 'alice@example.test'): Promise<SmtpClient> {
  const client = await SmtpClient.open(port);
  open.push(client);
  await client.command('EHLO client.test');
  assert.equal((await client.startTls()).code, 220);
  await client.command('EHLO client.test');
  assert.equal((await client.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}`)).code, 235);
  return client;
}

const status = (reply: { code: number; enhanced: string }) => `${reply.code} ${reply.enhanced}`;

/** MAIL FROM each address in turn (RSET between); `code enhanced` for each. */
async function mailFromReplies(client: SmtpClient, senders: readonly string[]): Promise<string[]> {
  const replies = [];
  for (const sender of senders) {
    replies.push(status(await client.command(`MAIL FROM:<${sender}>`)));
    await client.command('RSET');
  }
  return replies;
}

/** A whole transaction with this header block; returns the reply to the message. */
async function sendWithHeader(client: SmtpClient, header: string, from = 'alice@example.test'): Promise<string> {
  const reply = await client.send(`${header}\r\nTo: friend@remote.example\r\nSubject: test\r\n\r\nbody\r\n`, { from, to: ['friend@remote.example'] });
  await client.command('RSET');
  return status(reply);
}

describe('sender policy over SMTP', () => {
  let t: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    t = await startServer({ allow: { 'alice@example.test': ['boss@partner.example', '@shared.example'] } });
  });
  after(async () => {
    await t.stop();
  });

  it('MAIL FROM: own address, alias, plus-address and other case pass; anybody else’s address gets 553 5.7.1', async () => {
    const client = await login(t.server.port('submission'));
    const senders = ['alice@example.test', 'sales@example.test', 'alice+lists@example.test', 'Alice@EXAMPLE.test', 'bob@example.test', 'team@example.test', 'alice@evil.example', 'bob+alice@example.test'];
    assert.deepEqual(await mailFromReplies(client, senders), ['250 2.1.0', '250 2.1.0', '250 2.1.0', '250 2.1.0', '553 5.7.1', '553 5.7.1', '553 5.7.1', '553 5.7.1']);
    const refused = await client.command('MAIL FROM:<bob@example.test>');
    assert.equal(refused.raw, '553 5.7.1 Sender address not allowed for this login\r\n');
  });

  it('the allow list adds addresses and whole domains for that user only', async () => {
    const alice = await login(t.server.port('submission'));
    assert.deepEqual(await mailFromReplies(alice, ['boss@partner.example', 'anyone@shared.example', 'other@partner.example']), ['250 2.1.0', '250 2.1.0', '553 5.7.1']);
    const bob = await login(t.server.port('submission'), 'bob@example.test');
    assert.deepEqual(await mailFromReplies(bob, ['bob@example.test', 'boss@partner.example', 'anyone@shared.example']), ['250 2.1.0', '553 5.7.1', '553 5.7.1']);
  });

  it('refuses the null sender from an authenticated user with 553 5.7.1', async () => {
    const client = await login(t.server.port('submission'));
    const reply = await client.command('MAIL FROM:<>');
    assert.equal(reply.raw, '553 5.7.1 Null sender not allowed for this login\r\n');
  });

  it('From: own address, alias and plus-address pass; someone else’s gets 550 5.7.1 after DATA', async () => {
    const client = await login(t.server.port('submission'));
    assert.equal(await sendWithHeader(client, 'From: Alice <alice@example.test>'), '250 2.0.0');
    assert.equal(await sendWithHeader(client, 'From: "Sales" <sales@example.test>'), '250 2.0.0');
    assert.equal(await sendWithHeader(client, 'From: alice+news@example.test'), '250 2.0.0');
    assert.equal(await sendWithHeader(client, 'From: anyone@shared.example'), '250 2.0.0');
    assert.equal(await sendWithHeader(client, 'From: Bob <bob@example.test>'), '550 5.7.1');
    assert.equal(await sendWithHeader(client, 'From: alice@example.test, bob@example.test'), '550 5.7.1');
    assert.equal(await sendWithHeader(client, 'From: alice@example.test\r\nSender: bob@example.test'), '550 5.7.1');
    assert.equal(await sendWithHeader(client, 'From: Bob <bob@example.test>\r\nSender: alice@example.test'), '550 5.7.1', 'allowOnBehalf is off');
    assert.equal(await sendWithHeader(client, 'From: alice@example.test <bob@example.test>'), '550 5.7.1', 'unreadable');
  });

  it('checks From: after the header fixers (stage 50 sees the fixed header)', async () => {
    const client = await login(t.server.port('submission'));
    assert.equal(await sendWithHeader(client, 'From: alice@example.test\r\nX-Test-Set-From: bob@example.test'), '550 5.7.1');
    const before = queued.length;
    assert.equal(await sendWithHeader(client, 'From: bob@example.test\r\nX-Test-Set-From: alice@example.test'), '250 2.0.0');
    assert.match(queued.slice(before)[0]!.message.toString('latin1'), /\r\nFrom: alice@example\.test\r\n/);
  });

  it('nodemailer gets 553 for someone else’s envelope sender and 550 for someone else’s From:', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: t.server.port('submission'), requireTLS: true, auth: { user: 'alice@example.test', pass: PASSWORD }, tls: { rejectUnauthorized: false } });
    try {
      await assert.rejects(transport.sendMail({ from: 'bob@example.test', to: 'x@remote.example', text: 'x' }), (err: Error & { responseCode?: number }) => err.responseCode === 553);
      await assert.rejects(transport.sendMail({ envelope: { from: 'alice@example.test', to: ['x@remote.example'] }, from: 'bob@example.test', to: 'x@remote.example', text: 'x' }), (err: Error & { responseCode?: number }) => err.responseCode === 550);
      const ok = await transport.sendMail({ from: 'Alice <alice+nm@example.test>', to: 'x@remote.example', text: 'x' });
      assert.match(ok.response, /^250 /);
    } finally {
      transport.close();
    }
  });

  it('leaves unauthenticated sessions alone (the MX listener takes mail from anybody for local users)', async () => {
    const client = await SmtpClient.open(t.server.port('mx'));
    open.push(client);
    const reply = await client.send('From: bob@example.test\r\nSubject: hi\r\n\r\nx\r\n', { from: 'bob@example.test', to: ['alice@example.test'] });
    assert.equal(status(reply), '250 2.0.0');
    const bounce = await client.send('From: Mail Delivery <mailer-daemon@remote.example>\r\nSubject: bounce\r\n\r\nx\r\n', { from: '', to: ['alice@example.test'] });
    assert.equal(status(bounce), '250 2.0.0', 'bounces arrive with the null sender');
  });
});

describe('sender policy options over SMTP', () => {
  it('allowNullSender lets authenticated users send with <>; allowOnBehalf honours an own Sender:', async () => {
    const t = await startServer({ allowNullSender: true, allowOnBehalf: true });
    try {
      const client = await login(t.server.port('submission'));
      assert.equal(status(await client.command('MAIL FROM:<>')), '250 2.1.0');
      await client.command('RSET');
      assert.equal(await sendWithHeader(client, 'From: Boss <boss@partner.example>\r\nSender: alice@example.test'), '250 2.0.0');
      assert.equal(await sendWithHeader(client, 'From: Boss <boss@partner.example>'), '550 5.7.1');
      assert.equal(await sendWithHeader(client, 'From: alice@example.test\r\nSender: bob@example.test'), '550 5.7.1');
    } finally {
      closeClients();
      await t.stop();
    }
  });

  it('envelope: false and header: false turn the checks off', async () => {
    const t = await startServer({ envelope: false, header: false });
    try {
      const client = await login(t.server.port('submission'));
      assert.equal(await sendWithHeader(client, 'From: bob@example.test', 'bob@example.test'), '250 2.0.0');
      assert.equal(status(await client.command('MAIL FROM:<>')), '553 5.7.1', 'the null sender still needs allowNullSender');
    } finally {
      closeClients();
      await t.stop();
    }
  });
});
