import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import { command, expectReply, message, next, queueIdOf } from './helpers/replies.ts';

const MAX_SIZE = 4096;

describe('SMTP commands and limits', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    server = await startTestServer(
      {
        listeners: [
          { role: 'mx', maxMessageSize: MAX_SIZE, maxRecipients: 3 },
          { role: 'submission', allowInsecureAuth: false },
        ],
        plugins: [fixture('memory-queue')],
      },
      { dir: dir.path },
    );
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  /** Opens a client on the mx listener; the test closes it. */
  const open = () => SmtpClient.open(server.port('mx'));

  describe('EHLO', () => {
    it('advertises SIZE with the configured limit, ENHANCEDSTATUSCODES, PIPELINING, 8BITMIME, SMTPUTF8 and STARTTLS', async () => {
      const client = await open();
      const ehlo = await command(client, 'EHLO client.test');
      assert.equal(ehlo.code, 250);
      const keywords = ehlo.lines.slice(1);
      for (const expected of [`SIZE ${MAX_SIZE}`, 'ENHANCEDSTATUSCODES', 'PIPELINING', '8BITMIME', 'SMTPUTF8', 'STARTTLS']) {
        assert.ok(keywords.includes(expected), `${expected} missing from ${JSON.stringify(keywords)}`);
      }
      client.close();
    });

    it('on the mx role does not advertise AUTH and refuses it', async () => {
      const client = await open();
      const ehlo = await command(client, 'EHLO client.test');
      assert.ok(!ehlo.lines.some((line) => /^AUTH\b/i.test(line)), `AUTH advertised: ${JSON.stringify(ehlo.lines)}`);
      await command(client, `AUTH PLAIN ${Buffer.from('\0ann\0secret').toString('base64')}`, 500, '5.5.1');
      // Still usable afterwards.
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      client.close();
    });

    it('on the submission role offers AUTH only after STARTTLS, and refuses it before', async () => {
      const client = await SmtpClient.open(server.port('submission'));
      const ehlo = await command(client, 'EHLO client.test');
      assert.ok(!ehlo.lines.some((line) => /^AUTH\b/.test(line)), `AUTH offered before TLS: ${JSON.stringify(ehlo.lines)}`);
      await command(client, `AUTH PLAIN ${Buffer.from('\0ann\0secret').toString('base64')}`, 538, '5.7.11');
      await client.startTls();
      const secured = await command(client, 'EHLO client.test');
      assert.ok(secured.lines.some((line) => /^AUTH\b.*PLAIN/.test(line)), JSON.stringify(secured.lines));
      client.close();
    });

    it('refuses unknown MAIL FROM and RCPT TO parameters with 555 5.5.4 and takes the known ones', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'MAIL FROM:<a@example.org> FOO=BAR', 555, '5.5.4');
      await command(client, 'MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=abc', 250, '2.1.0');
      await command(client, 'RCPT TO:<bob@localhost> XYZZY=1', 555, '5.5.4');
      await command(client, 'RCPT TO:<bob@localhost> NOTIFY=FAILURE ORCPT=rfc822;bob@localhost', 250, '2.1.5');
      client.close();
    });

    it('refuses a non-ASCII local part without SMTPUTF8 with 553 5.6.7, and takes it with SMTPUTF8', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      client.write(Buffer.from('MAIL FROM:<jürgen@example.org>\r\n', 'utf8'));
      expectReply(await client.reply(), 553, '5.6.7');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      client.write(Buffer.from('RCPT TO:<jürgen@localhost>\r\n', 'utf8'));
      expectReply(await client.reply(), 553, '5.6.7');
      await command(client, 'RSET', 250, '2.0.0');
      await command(client, 'MAIL FROM:<a@example.org> SMTPUTF8', 250, '2.1.0');
      client.write(Buffer.from('RCPT TO:<jürgen@localhost>\r\n', 'utf8'));
      expectReply(await client.reply(), 250, '2.1.5');
      client.close();
    });

    it('refuses a malformed greeting with 501 and an enhanced code', async () => {
      const client = await open();
      await command(client, 'EHLO', 501, '5.5.4');
      await command(client, 'HELO', 501, '5.5.4');
      await command(client, 'EHLO client.test', 250, '');
      client.close();
    });
  });

  describe('sequence and safety', () => {
    it('refuses an unknown command with 500 5.5.1', async () => {
      const client = await open();
      await command(client, 'XYZZY', 500, '5.5.1');
      await command(client, 'EHLO client.test');
      await command(client, 'FROBNICATE now', 500, '5.5.1');
      client.close();
    });

    it('closes the connection with 421 after ten unknown commands', async () => {
      const client = await open();
      for (let i = 1; i <= 9; i++) await command(client, `BOGUS${i}`, 500, '5.5.1');
      await command(client, 'BOGUS10', 421, '4.7.0');
      await client.waitClosed();
    });

    it('closes the connection with 421 on an HTTP request', async () => {
      const client = await open();
      await command(client, 'GET / HTTP/1.1', 421, '4.7.0');
      await client.waitClosed();
    });

    it('closes the connection with 421 on an HTTP request sent instead of EHLO, even pipelined', async () => {
      const client = await open();
      client.write('POST /submit HTTP/1.1\r\nHost: x\r\n\r\n');
      await next(client, 421, '4.7.0');
      await client.waitClosed();
    });

    it('refuses MAIL before EHLO with 503 5.5.1', async () => {
      const client = await open();
      await command(client, 'MAIL FROM:<a@example.org>', 503, '5.5.1');
      client.close();
    });

    it('refuses RCPT before MAIL with 503 5.5.1', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'RCPT TO:<bob@localhost>', 503, '5.5.1');
      client.close();
    });

    it('refuses DATA before RCPT with 503 5.5.1', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'DATA', 503, '5.5.1');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'DATA', 503, '5.5.1');
      client.close();
    });

    it('refuses a nested MAIL with 503 5.5.1', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'MAIL FROM:<b@example.org>', 503, '5.5.1');
      client.close();
    });

    it('refuses a recipient nobody accepts with 550 5.7.1', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'RCPT TO:<bob@elsewhere.example>', 550, '5.7.1');
      client.close();
    });

    it('answers pipelined commands in order', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      client.write('MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@localhost>\r\nRCPT TO:<bob@elsewhere.example>\r\nRSET\r\n');
      await next(client, 250, '2.1.0');
      await next(client, 250, '2.1.5');
      await next(client, 550, '5.7.1');
      await next(client, 250, '2.0.0');
      client.close();
    });
  });

  describe('message size', () => {
    it('refuses SIZE= over the limit on MAIL FROM with 552 5.3.4', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, `MAIL FROM:<a@example.org> SIZE=${MAX_SIZE + 1}`, 552, '5.3.4');
      await command(client, `MAIL FROM:<a@example.org> SIZE=${MAX_SIZE}`, 250, '2.1.0');
      client.close();
    });

    it('refuses a message over the limit with 552 5.3.4, queues nothing, and the session goes on', async () => {
      const client = await open();
      const before = queued.length;
      await command(client, 'EHLO client.test');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      const line = `${'x'.repeat(98)}\r\n`;
      client.write(`${message('too big', line.repeat(Math.ceil((MAX_SIZE * 2) / line.length)))}.\r\n`);
      await next(client, 552, '5.3.4');
      assert.equal(queued.length, before, 'nothing queued');
      // The same connection delivers the next message.
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      client.write(`${message('small enough')}.\r\n`);
      const ok = await next(client, 250, '2.0.0');
      assert.equal(queued.length, before + 1);
      assert.equal(queued.at(-1)?.envelope.id, queueIdOf(ok));
      client.close();
    });

    it('accepts a message of exactly the limit', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
      await command(client, 'DATA', 354, '');
      const head = message('exact', '');
      // Lines of 100 bytes (CRLF included), then one line that makes the total exactly the limit.
      const line = `${'y'.repeat(98)}\r\n`;
      const full = Math.floor((MAX_SIZE - head.length) / line.length) - 1;
      const last = `${'z'.repeat(MAX_SIZE - head.length - full * line.length - 2)}\r\n`;
      const body = line.repeat(full) + last;
      assert.equal(head.length + body.length, MAX_SIZE);
      client.write(`${head}${body}.\r\n`);
      const ok = await next(client, 250, '2.0.0');
      const stored = queued.find((q) => q.envelope.id === queueIdOf(ok));
      assert.ok(stored?.message.toString('latin1').endsWith(body));
      client.close();
    });
  });

  describe('recipients', () => {
    it('refuses the recipient after maxRecipients with 452 4.5.3 and keeps the others', async () => {
      const client = await open();
      await command(client, 'EHLO client.test');
      await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
      for (const name of ['one', 'two', 'three']) await command(client, `RCPT TO:<${name}@localhost>`, 250, '2.1.5');
      await command(client, 'RCPT TO:<four@localhost>', 452, '4.5.3');
      await command(client, 'DATA', 354, '');
      client.write(`${message('three recipients')}.\r\n`);
      const ok = await next(client, 250, '2.0.0');
      const stored = queued.find((q) => q.envelope.id === queueIdOf(ok));
      assert.deepEqual(
        stored?.envelope.recipients.map((r) => r.address),
        ['one@localhost', 'two@localhost', 'three@localhost'],
      );
      client.close();
    });
  });

  it('a reply line from a plain client is checked too', async () => {
    const client = await open();
    expectReply(await client.command('NOOP'), 250, '2.0.0');
    await command(client, 'QUIT', 221, '2.0.0');
    await client.waitClosed();
  });
});
