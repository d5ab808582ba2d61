import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Envelope, type MailboxChange, Mailboxes, type MailStore } from '@posthorn/contracts';
import { silentLogger } from '@posthorn/core';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import nodemailer from 'nodemailer';

const ACCOUNTS = `
domains: [localhost]
users:
  alice@localhost: { name: Alice }
  bob@localhost: { name: Bob }
  carol@localhost: { name: Carol, quota: 300 }
  dave@localhost: { name: Dave, quota: 2500 }
aliases:
  postmaster@localhost: alice@localhost
  team@localhost: [alice@localhost, bob@localhost]
`;

/** A body of about `bytes` bytes in lines of 76 characters. */
function filler(char: string, bytes: number): string {
  return `${char.repeat(76)}\r\n`.repeat(Math.ceil(bytes / 78));
}

/** The stored bytes after the Received field the core put on top (it may be folded). */
function withoutReceived(stored: Buffer): Buffer {
  const text = stored.toString('latin1');
  assert.match(text, /^Received: /);
  let end = text.indexOf('\r\n') + 2;
  while (text[end] === ' ' || text[end] === '\t') end = text.indexOf('\r\n', end) + 2;
  return stored.subarray(end);
}

function raw(subject: string, body = 'Hello Alice.\r\n.a line with a leading dot\r\n'): Buffer {
  return Buffer.from(`From: sender@example.org\r\nTo: alice@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\n${body}`, 'latin1');
}

describe('local delivery over SMTP into the Maildir store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let store: MailStore;
  let transport: ReturnType<typeof nodemailer.createTransport>;

  before(async () => {
    dir = await tempDir();
    await writeFile(join(dir.path, 'accounts.yaml'), ACCOUNTS);
    server = await startTestServer(
      { plugins: [{ plugin: 'accounts-file', options: { file: 'accounts.yaml' } }, 'mailbox-maildir', fixture('deliver-now')] },
      { dir: dir.path, logger: silentLogger() },
    );
    store = server.app.services.get(Mailboxes)!;
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), tls: { rejectUnauthorized: false } });
  });
  after(async () => {
    transport.close();
    await server.stop();
    await dir.remove();
  });

  const inboxOf = (user: string) => ({ user, mailbox: 'INBOX' });

  it('stores a message for alice byte for byte in her INBOX new/ and in the index', async () => {
    const events: MailboxChange[] = [];
    const stop = store.watch(inboxOf('alice@localhost'), (change) => events.push(change));
    const message = raw('first');
    const info = await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['alice@localhost'] }, raw: message });
    stop();
    assert.match(info.response, /^250 /);

    const list = await store.listMessages(inboxOf('alice@localhost'));
    assert.equal(list.length, 1);
    const stored = await store.readMessage(inboxOf('alice@localhost'), list[0]!.uid);
    assert.deepEqual(withoutReceived(stored), message);
    assert.equal(list[0]!.size, stored.length);
    assert.deepEqual(list[0]!.flags, []);
    assert.deepEqual(events.map((e) => e.type), ['exists'], 'IDLE would have heard of it');

    const newDir = join(dir.path, 'var', 'mail', 'localhost', 'alice', 'new');
    const files = await readdir(newDir);
    assert.equal(files.length, 1);
    assert.deepEqual(await readFile(join(newDir, files[0]!)), stored);
    assert.ok(files[0]!.includes(list[0]!.id), 'the stable id is part of the file name');
    // ensureAccount ran on first delivery.
    assert.deepEqual((await store.listMailboxes('alice@localhost')).map((b) => b.name), ['INBOX', 'Archive', 'Drafts', 'Junk', 'Sent', 'Trash']);
  });

  it('delivers plus-addressed mail and aliases to the account they resolve to', async () => {
    const before = (await store.status(inboxOf('alice@localhost'))).messages;
    await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['alice+lists@localhost'] }, raw: raw('plus') });
    await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['Postmaster@LOCALHOST'] }, raw: raw('alias') });
    const subjects = await Promise.all(
      (await store.listMessages(inboxOf('alice@localhost'))).slice(before).map(async (m) => /Subject: (\w+)/.exec((await store.readMessage(inboxOf('alice@localhost'), m.uid)).toString())![1]),
    );
    assert.deepEqual(subjects, ['plus', 'alias']);
  });

  it('delivers a list alias to every member', async () => {
    const alice = (await store.status(inboxOf('alice@localhost'))).messages;
    await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['team@localhost'] }, raw: raw('team') });
    assert.equal((await store.status(inboxOf('alice@localhost'))).messages, alice + 1);
    assert.equal((await store.status(inboxOf('bob@localhost'))).messages, 1);
  });

  it('refuses an unknown local user with 550 5.1.1 and a remote domain with 550 5.7.1', async () => {
    const client = await SmtpClient.open(server.port());
    try {
      await client.command('EHLO client.test');
      await client.command('MAIL FROM:<sender@example.org>');
      const unknown = await client.command('RCPT TO:<unknown@localhost>');
      assert.equal(unknown.code, 550);
      assert.equal(unknown.enhanced, '5.1.1');
      const remote = await client.command('RCPT TO:<other@remote.example>');
      assert.equal(remote.code, 550);
      assert.equal(remote.enhanced, '5.7.1');
    } finally {
      client.close();
    }
  });

  it('answers 552 5.2.2 for a message that can never fit the quota, 452 4.2.2 for a full mailbox', async () => {
    const client = await SmtpClient.open(server.port());
    try {
      const big = await client.send(raw('too big', filler('x', 400)), { from: 'sender@example.org', to: ['carol@localhost'] });
      assert.equal(big.code, 552);
      assert.equal(big.enhanced, '5.2.2');
      const first = await client.send(raw('fits', filler('y', 1500)), { from: 'sender@example.org', to: ['dave@localhost'] });
      assert.equal(first.code, 250);
      const second = await client.command('MAIL FROM:<sender@example.org>');
      assert.equal(second.code, 250);
      await client.command('RCPT TO:<dave@localhost>');
      await client.command('DATA');
      client.write(Buffer.concat([raw('no room', filler('z', 1500)), Buffer.from('.\r\n')]));
      const full = await client.reply();
      assert.equal(full.code, 452);
      assert.equal(full.enhanced, '4.2.2');
    } finally {
      client.close();
    }
    assert.equal((await store.status(inboxOf('dave@localhost'))).messages, 1);
  });

  it('stores a retried delivery only once (dedupe key from queue id, recipient and account)', async () => {
    const envelope: Envelope = {
      id: 'retry-test-1',
      mailFrom: 'sender@example.org',
      mailFromParams: {},
      recipients: [{ address: 'bob@localhost', params: {} }],
      receivedAt: new Date().toISOString(),
      origin: { listener: 'mx', role: 'mx', remoteAddress: '127.0.0.1', tls: false },
      notes: {},
    };
    const message = raw('retried');
    const attempt = (n: number) =>
      server.app.lifecycle.deliver({ envelope, recipient: envelope.recipients[0]!, recipientIndex: 0, attempt: n, size: message.length, read: async () => message, log: silentLogger() });
    const before = (await store.status(inboxOf('bob@localhost'))).messages;
    assert.equal((await attempt(1)).verdict.action, 'accept');
    assert.equal((await attempt(2)).verdict.action, 'accept');
    assert.equal((await store.status(inboxOf('bob@localhost'))).messages, before + 1);
    const other = await server.app.lifecycle.deliver({ envelope: { ...envelope, recipients: [{ address: 'nobody@remote.example', params: {} }] }, recipient: { address: 'nobody@remote.example', params: {} }, recipientIndex: 0, attempt: 1, size: 1, read: async () => message, log: silentLogger() });
    assert.equal(other.by, 'core', 'a remote recipient is not ours to deliver');
  });
});

describe('local delivery into the mailbox a plugin asked for', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    await writeFile(join(dir.path, 'accounts.yaml'), ACCOUNTS);
    const marker = fileURLToPath(new URL('./fixtures/junk-marker.ts', import.meta.url));
    server = await startTestServer(
      { plugins: [{ plugin: 'accounts-file', options: { file: 'accounts.yaml' } }, 'mailbox-maildir', marker, fixture('deliver-now')] },
      { dir: dir.path, logger: silentLogger() },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('files a message marked for Junk there, and others in INBOX', async () => {
    const store = server.app.services.get(Mailboxes)!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), tls: { rejectUnauthorized: false } });
    await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['alice@localhost'] }, raw: raw('junk offer') });
    await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['alice@localhost'] }, raw: raw('letter') });
    transport.close();
    const subjectsIn = async (mailbox: string) =>
      Promise.all(
        (await store.listMessages({ user: 'alice@localhost', mailbox })).map(async (m) => /Subject: ([\w ]+)/.exec((await store.readMessage({ user: 'alice@localhost', mailbox }, m.uid)).toString())![1]),
      );
    assert.deepEqual(await subjectsIn('Junk'), ['junk offer']);
    assert.deepEqual(await subjectsIn('INBOX'), ['letter']);
  });
});
