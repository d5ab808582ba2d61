import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import nodemailer from 'nodemailer';
import { checkNodemailerError, command, message, next, queueIdOf } from './helpers/replies.ts';

/** The first header field of a queued message, unfolded. */
function topField(raw: Buffer): { name: string; value: string } {
  const text = raw.toString('latin1');
  const end = text.search(/\r\n(?![ \t])/);
  const field = text.slice(0, end).replace(/\r\n[ \t]/g, ' ');
  const colon = field.indexOf(':');
  return { name: field.slice(0, colon), value: field.slice(colon + 1).trim() };
}

function storedById(id: string) {
  const entry = queued.find((q) => q.envelope.id === id);
  assert.ok(entry, `message ${id} was not queued`);
  return entry;
}

describe('Received trace field', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  const firstOfThisFile = queued.length;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer({ plugins: [fixture('memory-queue')] }, { dir: dir.path });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('says ESMTPS after STARTTLS, names the HELO, and carries the queue id of the 250 reply', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), name: 'Sender.Example', requireTLS: true, tls: { rejectUnauthorized: false } });
    const info = await transport.sendMail({ from: 'a@example.org', to: 'bob@localhost', subject: 'tls', text: 'over tls\n' });
    transport.close();
    assert.match(info.response, /^250 2\.0\.0 /);
    const id = queueIdOf(info.response);
    const entry = storedById(id);
    const received = topField(entry.message);
    assert.equal(received.name, 'Received');
    assert.match(received.value, /^from sender\.example \(localhost \[127\.0\.0\.1\]\) by mx\.test \(Posthorn\) with ESMTPS \(TLSv1\.[23] [A-Z0-9_-]+\) id /);
    assert.match(received.value, new RegExp(` id ${id} for <bob@localhost>; `));
    assert.equal(entry.envelope.origin.tls, true);
    assert.equal(entry.envelope.origin.helo, 'sender.example');
  });

  it('says ESMTP without TLS', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), name: 'plain.example', ignoreTLS: true });
    const info = await transport.sendMail({ from: 'a@example.org', to: 'bob@localhost', subject: 'plain', text: 'no tls\n' });
    transport.close();
    const id = queueIdOf(info.response);
    const received = topField(storedById(id).message);
    assert.match(received.value, new RegExp(`^from plain\\.example \\(localhost \\[127\\.0\\.0\\.1\\]\\) by mx\\.test \\(Posthorn\\) with ESMTP id ${id} for <bob@localhost>; `));
    assert.equal(storedById(id).envelope.origin.tls, false);
  });

  it('says SMTP after HELO and UTF8SMTP with the SMTPUTF8 parameter', async () => {
    const helo = await SmtpClient.open(server.port());
    await command(helo, 'HELO old.example', 250, '');
    await command(helo, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(helo, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(helo, 'DATA', 354, '');
    helo.write(`${message('helo')}.\r\n`);
    const heloId = queueIdOf(await next(helo, 250, '2.0.0'));
    helo.close();
    assert.match(topField(storedById(heloId).message).value, / with SMTP id /);

    const utf8 = await SmtpClient.open(server.port());
    await command(utf8, 'EHLO intl.example', 250, '');
    await command(utf8, 'MAIL FROM:<a@example.org> SMTPUTF8', 250, '2.1.0');
    await command(utf8, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(utf8, 'DATA', 354, '');
    utf8.write(`${message('utf8')}.\r\n`);
    const utf8Id = queueIdOf(await next(utf8, 250, '2.0.0'));
    utf8.close();
    assert.match(topField(storedById(utf8Id).message).value, / with UTF8SMTP id /);
  });

  it('names no recipient when there are several', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), ignoreTLS: true });
    const info = await transport.sendMail({ from: 'a@example.org', to: ['bob@localhost', 'carol@localhost'], subject: 'two', text: 'two\n' });
    transport.close();
    const received = topField(storedById(queueIdOf(info.response)).message);
    assert.doesNotMatch(received.value, / for </);
  });

  it('keeps the message bytes below the Received field as they were sent', async () => {
    const client = await SmtpClient.open(server.port());
    const sent = Buffer.concat([Buffer.from('Subject: bytes\r\nX-Folded: a\r\n\tb\r\n\r\n', 'latin1'), Buffer.from([0xe9, 0xff, 0x0d, 0x0a]), Buffer.from('.dot\r\n', 'latin1')]);
    const reply = await client.send(sent, { from: 'a@example.org', to: ['bob@localhost'] });
    client.close();
    assert.equal(reply.code, 250);
    const stored = storedById(queueIdOf(reply)).message;
    const afterReceived = stored.subarray(stored.indexOf('\r\nSubject: bytes') + 2);
    assert.deepEqual(afterReceived, sent);
  });

  it('a refused message through nodemailer carries a matching enhanced code', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), ignoreTLS: true });
    await assert.rejects(transport.sendMail({ from: 'a@example.org', to: 'someone@elsewhere.example', subject: 'x', text: 'x\n' }), (err: unknown) => {
      checkNodemailerError(err, 550, '5.7.1');
      return true;
    });
    transport.close();
  });

  it('every message queued in this file has a Received field on top', () => {
    const mine = queued.slice(firstOfThisFile);
    assert.ok(mine.length >= 6, `only ${mine.length} messages queued`);
    for (const entry of mine) {
      const received = topField(entry.message);
      assert.equal(received.name, 'Received', entry.envelope.id);
      assert.match(received.value, new RegExp(` id ${entry.envelope.id}[ ;]`));
    }
  });
});

describe('Received trace field with hideClientAddress', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer({ listeners: [{ role: 'mx', hideClientAddress: true }], plugins: [fixture('memory-queue')] }, { dir: dir.path });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('leaves out the client address and names', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port(), name: 'home-pc.example', ignoreTLS: true });
    const info = await transport.sendMail({ from: 'a@example.org', to: 'bob@localhost', subject: 'private', text: 'hidden\n' });
    transport.close();
    const id = queueIdOf(info.response);
    const received = topField(storedById(id).message);
    assert.match(received.value, new RegExp(`^by mx\\.test \\(Posthorn\\) with ESMTP id ${id} for <bob@localhost>; `));
    assert.doesNotMatch(storedById(id).message.toString('latin1'), /127\.0\.0\.1|home-pc/);
  });
});
